"""The log's one write path: a batch of events becomes leaves, subtree hashes, a checkpoint and
the evidence service's own events, all in one transaction (group commit).

Exactly one leaf per event id: the writer lock serialises batches, events already in the log are
skipped, and `leaves.event_id` is unique, so a redelivered event can never become a second leaf.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from services.evidence.domain.batch import BatchResult, Incoming, append_batch
from services.evidence.domain.checkpoint import Checkpoint
from services.evidence.domain.leaf import SALT_SIZE
from services.evidence.domain.note import Signer
from services.evidence.domain.proofs import assemble, consistency_spans, nodes_for
from services.evidence.domain.signing import sign_next_checkpoint
from services.evidence.store import LogStore, StoredCheckpoint
from shared.catalogue.evidence import AnchoredEvent, CheckpointPublished, EvidenceAnchored
from shared.events import Envelope, format_utc
from shared.store import EventStore, Transaction

SERVICE = "evidence"
# Events listed by one EvidenceAnchored (~250 bytes each): a whole batch in one message would
# grow with the batch size towards NATS's 1 MB payload limit, and make readers of the stream
# (the audit, the gateway) receive megabytes at a time.
ANNOUNCED_AT_MOST = 100


def log_stream_id(origin: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, origin)


@dataclass(frozen=True)
class Committed:
    appended: int
    size: int  # -1 when nothing was appended: the tree was not even read
    checkpoint: StoredCheckpoint | None


class LogWriter:
    def __init__(self, store: EventStore, origin: str, signers: list[Signer]) -> None:
        self.store = store
        self.log = LogStore(store.schema)
        self.origin = origin
        self.signers = signers
        self.stream_id = log_stream_id(origin)

    async def commit(self, events: list[Incoming]) -> Committed:
        unique = list({e.event_id: e for e in events}.values())  # a batch may repeat an event
        async with self.store.transaction() as tx:
            await self.log.lock(tx.conn)
            logged = await self.log.already_logged(tx.conn, [uuid.UUID(e.event_id) for e in unique])
            fresh = [e for e in unique if uuid.UUID(e.event_id) not in logged]
            if not fresh:  # only redeliveries: nothing to write, ack them
                return Committed(0, -1, None)
            tree, chain_head = await self.log.tree_state(tx.conn)
            now = datetime.now(UTC)
            batch = append_batch(
                tree,
                chain_head,
                self.origin,
                format_utc(now),
                [(e, os.urandom(SALT_SIZE)) for e in fresh],
            )
            await self.log.write_batch(tx.conn, batch, now)
            signed = await self._checkpoint(tx, batch)
            await self._announce(tx, batch, signed)
        return Committed(len(fresh), batch.size, signed)

    async def _checkpoint(self, tx: Transaction, batch: BatchResult) -> StoredCheckpoint:
        previous = await self.log.latest_checkpoint(tx.conn)
        current = Checkpoint(self.origin, batch.size, batch.root)
        proof: list[bytes] = []
        if previous is not None and 0 < previous.checkpoint.size < current.size:
            # Built from the stored subtree hashes, not from the in-memory range that computed the
            # root: the check then also covers what proofs will later be served from.
            spans = consistency_spans(previous.checkpoint.size, current.size)
            proof = assemble(spans, await self.log.nodes(tx.conn, nodes_for(spans)))
        note = sign_next_checkpoint(
            previous.checkpoint if previous else None, current, proof, self.signers
        )
        await self.log.save_checkpoint(tx.conn, current, note)
        return StoredCheckpoint(current, note)

    async def _announce(
        self, tx: Transaction, batch: BatchResult, signed: StoredCheckpoint
    ) -> None:
        # The log anchors its own events too, but announces only other services' events: else
        # each announcement would be anchored, announced, anchored... without end.
        anchored = [
            AnchoredEvent(
                event_id=uuid.UUID(leaf.event.event_id),
                source=leaf.event.source,
                anchored_stream_id=uuid.UUID(leaf.event.stream_id),
                anchored_event_type=leaf.event.event_type,
                leaf_index=leaf.index,
                leaf_hash=leaf.leaf_hash.hex(),
            )
            for leaf in batch.leaves
            if leaf.event.source != SERVICE
        ]
        if not anchored:
            return
        payloads = (
            *(
                EvidenceAnchored(anchored=anchored[at : at + ANNOUNCED_AT_MOST])
                for at in range(0, len(anchored), ANNOUNCED_AT_MOST)
            ),
            CheckpointPublished(
                origin=self.origin,
                tree_size=signed.checkpoint.size,
                root_hash=signed.checkpoint.root.hex(),
                key_ids=[s.verifier.key_id.hex() for s in self.signers],
                note=signed.note,
            ),
        )
        version = await tx.conn.fetchval(
            f"SELECT coalesce(max(version), 0) FROM {tx.schema}.events WHERE stream_id = $1",
            self.stream_id,
        )
        correlation = uuid.uuid4()
        await tx.append(
            [
                Envelope.new(
                    payload,
                    stream_id=self.stream_id,
                    version=version + i,
                    correlation_id=correlation,
                    actor=SERVICE,
                )
                for i, payload in enumerate(payloads, start=1)
            ]
        )
