"""Reading the log: proofs against signed checkpoints, receipts and evidence packs.

A proof is only ever served for a size the log signed, together with that checkpoint, so a
client never pairs a proof with a size or root from anywhere else.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from services.evidence.domain.pack import make_pack
from services.evidence.domain.proofs import (
    assemble,
    consistency_spans,
    inclusion_spans,
    nodes_for,
)
from services.evidence.domain.receipt import make_receipt
from services.evidence.store import LogStore, StoredCheckpoint, StoredLeaf
from shared.store import EventStore
from shared.store.postgres import Connection


def signing_key_ids(leaves: list[StoredLeaf]) -> list[str]:
    """The keys the note's signatures name: their `SigningKeyPublished` events join the pack."""
    found = set()
    for leaf in leaves:
        signature = json.loads(leaf.event).get("payload", {}).get("signature")
        if isinstance(signature, dict) and isinstance(signature.get("key_id"), str):
            found.add(signature["key_id"])
    return sorted(found)


class EvidenceNotFoundError(LookupError):
    """What was asked for is not in the log (yet)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class EvidenceQueries:
    def __init__(self, store: EventStore, log_keys: list[str]) -> None:
        self.pool = store.pool
        self.log = LogStore(store.schema)
        self.log_keys = log_keys

    async def _checkpoint(self, conn: Connection, size: int | None) -> StoredCheckpoint:
        found = await (
            self.log.latest_checkpoint(conn) if size is None else self.log.checkpoint_at(conn, size)
        )
        if found is None:
            raise EvidenceNotFoundError(
                "unknown_checkpoint", f"the log signed no checkpoint of size {size}"
            )
        return found

    async def latest_checkpoint(self) -> StoredCheckpoint:
        async with self.pool.acquire() as conn:
            return await self._checkpoint(conn, None)

    async def _path(self, conn: Connection, index: int, size: int) -> list[bytes]:
        spans = inclusion_spans(index, size)
        return assemble(spans, await self.log.nodes(conn, nodes_for(spans)))

    async def inclusion_proof(
        self, index: int, size: int | None
    ) -> tuple[list[bytes], StoredCheckpoint]:
        async with self.pool.acquire() as conn:
            checkpoint = await self._checkpoint(conn, size)
            if not 0 <= index < checkpoint.checkpoint.size:
                raise EvidenceNotFoundError(
                    "index_out_of_range", "the leaf is not in that checkpoint"
                )
            return await self._path(conn, index, checkpoint.checkpoint.size), checkpoint

    async def consistency_proof(
        self, first: int, second: int | None
    ) -> tuple[list[bytes], StoredCheckpoint, StoredCheckpoint]:
        async with self.pool.acquire() as conn:
            old, new = await self._checkpoint(conn, first), await self._checkpoint(conn, second)
            m, n = old.checkpoint.size, new.checkpoint.size
            if m > n:
                raise EvidenceNotFoundError(
                    "sizes_reversed", "the first size is larger than the second"
                )
            spans = consistency_spans(m, n) if m > 0 else []
            return assemble(spans, await self.log.nodes(conn, nodes_for(spans))), old, new

    async def _receipt(
        self, conn: Connection, leaf: StoredLeaf, checkpoint: StoredCheckpoint
    ) -> dict[str, Any]:
        return make_receipt(
            source=leaf.source,
            event_bytes=leaf.event,
            salt=leaf.salt,
            entry=leaf.entry,
            index=leaf.index,
            path=await self._path(conn, leaf.index, checkpoint.checkpoint.size),
            checkpoint_note=checkpoint.note,
            log_keys=self.log_keys,
        )

    async def receipt(self, event_id: uuid.UUID) -> dict[str, Any]:
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            leaf = await self.log.leaf_by_event(conn, event_id)
            if leaf is None:
                raise EvidenceNotFoundError("not_anchored", "the event is not in the log (yet)")
            return await self._receipt(conn, leaf, await self._checkpoint(conn, None))

    async def evidence_pack(self, note_id: uuid.UUID) -> dict[str, Any]:
        # One snapshot: every receipt is against the same checkpoint, the pack's own.
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            leaves = await self.log.leaves_of_note(conn, note_id)
            if not leaves:
                raise EvidenceNotFoundError("note_not_found", "the log holds no event of this note")
            keys = await self.log.leaves_publishing_keys(conn, signing_key_ids(leaves))
            checkpoint = await self._checkpoint(conn, None)
            wanted = {leaf.index: leaf for leaf in [*leaves, *keys]}
            receipts = [
                await self._receipt(conn, wanted[i], checkpoint)
                for i in sorted(wanted)
                if i < checkpoint.checkpoint.size
            ]
        return make_pack(str(note_id), receipts, checkpoint.note, self.log_keys)
