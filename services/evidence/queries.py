"""Reading the log: proofs against signed checkpoints, receipts and evidence packs.

A proof is only ever served for a size the log signed, together with that checkpoint, so a
client never pairs a proof with a size or root from anywhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from services.evidence.cache import Lru, PinnedLevels
from services.evidence.domain.merkle import node_hash
from services.evidence.domain.pack import make_pack
from services.evidence.domain.proofs import (
    Node,
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


OnDemand = Callable[[], Awaitable[Connection]]


def _given(conn: Connection) -> OnDemand:
    async def get() -> Connection:
        return conn

    return get


class _Connection:
    """A pool connection acquired on first use only: a proof served from the caches needs none."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.stack = contextlib.AsyncExitStack()
        self.conn: Connection | None = None

    async def __call__(self) -> Connection:
        if self.conn is None:
            self.conn = await self.stack.enter_async_context(self.pool.acquire())
        return self.conn

    async def __aenter__(self) -> _Connection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stack.aclose()


def _leaf_range(node: Node) -> range:
    return range(node.number << node.level, (node.number + 1) << node.level)


def _fold(hashes: list[bytes]) -> bytes:
    """The hash of a perfect subtree from its leaves' hashes (a power of two of them)."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


class EvidenceQueries:
    def __init__(
        self,
        store: EventStore,
        log_keys: list[str],
        *,
        cached_checkpoints: int = 1024,
        cached_nodes: int = 20_000,
        pinned_from_level: int = 4,
        pinned_bytes: int = 32 << 20,
    ) -> None:
        self.pool = store.pool
        self.log = LogStore(store.schema)
        self.log_keys = log_keys
        # All never change once written (one checkpoint per size, append-only tables), so a
        # cached copy is never stale; bounded: ~1 MB, ~6 MB and `pinned_bytes` (32 MB, reached
        # at ~8*10^6 leaves) at most. The upper levels, shared by every proof, stay pinned; the
        # LRU keeps the lower subtrees of recently proven leaves. With `pinned_bytes=0` every
        # subtree is read as stored (the reference the pinned path is tested against).
        self.checkpoints: Lru[int, StoredCheckpoint] = Lru(cached_checkpoints)
        self.nodes: Lru[Node, bytes] = Lru(cached_nodes)
        self.pinned = PinnedLevels(pinned_from_level, pinned_bytes)
        self._growing = asyncio.Lock()

    async def _checkpoint(self, conn: Connection, size: int | None) -> StoredCheckpoint:
        found = await (
            self.log.latest_checkpoint(conn) if size is None else self.log.checkpoint_at(conn, size)
        )
        if found is None:
            raise EvidenceNotFoundError(
                "unknown_checkpoint", f"the log signed no checkpoint of size {size}"
            )
        self.checkpoints.put(found.checkpoint.size, found)
        return found

    async def _signed(self, lazy: OnDemand, size: int | None) -> StoredCheckpoint:
        cached = self.checkpoints.get(size) if size is not None else None
        return cached or await self._checkpoint(await lazy(), size)

    async def _hashes(self, lazy: OnDemand, wanted: set[Node], size: int) -> dict[Node, bytes]:
        """The hashes of `wanted`, perfect subtrees within the first `size` leaves (a signed
        size): from the caches, else in one round trip."""
        found: dict[Node, bytes] = {}
        for node in wanted:
            value = self.pinned.get(*node) or self.nodes.get(node)
            if value is not None:
                found[node] = value
        if missing := wanted - found.keys():
            if self.pinned.enabled:
                found |= await self._fetch(await lazy(), missing, size)
            else:
                fetched = await self.log.nodes(await lazy(), missing)
                for node, value in fetched.items():
                    self.nodes.put(node, value)
                found |= fetched
        return found

    async def _fetch(self, conn: Connection, missing: set[Node], size: int) -> dict[Node, bytes]:
        """Pins the upper levels up to `size` if they are behind, and folds the lower subtrees
        from their leaves: one small index range read per level grown, and the few leaves near
        the proven leaf (a cheaper query than picking nodes by (level, index) pairs)."""
        growing = self._growing if self.pinned.size < size else contextlib.nullcontext()
        # Taken with the connection already in hand, so its holder never waits for the pool.
        async with growing:
            self.pinned.fit(size)
            lowest, start = self.pinned.lowest, self.pinned.size
            lower = {node for node in missing if node.level < lowest}
            leaves = sorted({i for node in lower for i in _leaf_range(node)})
            levels = self.pinned.levels_to(size)
            runs = await self.log.node_runs(conn, leaves, levels, start, size)
            self.pinned.extend(start, size, [run for run in runs if run[0] > 0])
        by_leaf = {first: hashes for level, first, hashes in runs if level == 0}
        fetched: dict[Node, bytes] = {}
        for node in lower:
            fetched[node] = _fold([by_leaf[i] for i in _leaf_range(node)])
            self.nodes.put(node, fetched[node])
        for node in missing - lower:
            if (value := self.pinned.get(*node)) is not None:
                fetched[node] = value
        if rest := missing - fetched.keys():  # the budget let a level go meanwhile: rare
            fetched |= await self._fetch(conn, rest, size)
        return fetched

    async def latest_checkpoint(self) -> StoredCheckpoint:
        async with self.pool.acquire() as conn:
            return await self._checkpoint(conn, None)

    async def _path(self, lazy: OnDemand, index: int, size: int) -> list[bytes]:
        spans = inclusion_spans(index, size)
        return assemble(spans, await self._hashes(lazy, nodes_for(spans), size))

    async def inclusion_proof(
        self, index: int, size: int | None
    ) -> tuple[list[bytes], StoredCheckpoint]:
        async with _Connection(self.pool) as lazy:
            checkpoint = await self._signed(lazy, size)
            if not 0 <= index < checkpoint.checkpoint.size:
                raise EvidenceNotFoundError(
                    "index_out_of_range", "the leaf is not in that checkpoint"
                )
            return await self._path(lazy, index, checkpoint.checkpoint.size), checkpoint

    async def consistency_proof(
        self, first: int, second: int | None
    ) -> tuple[list[bytes], StoredCheckpoint, StoredCheckpoint]:
        async with _Connection(self.pool) as lazy:
            old, new = await self._signed(lazy, first), await self._signed(lazy, second)
            m, n = old.checkpoint.size, new.checkpoint.size
            if m > n:
                raise EvidenceNotFoundError(
                    "sizes_reversed", "the first size is larger than the second"
                )
            spans = consistency_spans(m, n) if m > 0 else []
            hashes = await self._hashes(lazy, nodes_for(spans), n)
            return assemble(spans, hashes), old, new

    async def _receipt(
        self, conn: Connection, leaf: StoredLeaf, checkpoint: StoredCheckpoint
    ) -> dict[str, Any]:
        return make_receipt(
            source=leaf.source,
            event_bytes=leaf.event,
            salt=leaf.salt,
            entry=leaf.entry,
            index=leaf.index,
            path=await self._path(_given(conn), leaf.index, checkpoint.checkpoint.size),
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
