"""Anchoring from real JetStream streams: exactly one leaf per event id, whatever happens."""

from __future__ import annotations

import asyncio
import signal

import asyncpg
import nats
import pytest

from services.evidence.domain.batch import Incoming
from services.evidence.domain.checkpoint import parse_checkpoint
from services.evidence.domain.note import open_note
from services.evidence.domain.tree import MemoryTree
from services.evidence.ingest import AnchorLoop, Delivery
from services.evidence.writer import Committed
from shared.config import Settings
from shared.events import canonical_bytes
from shared.store import EventStore
from shared.subjects import Naming
from tests.evidence.support import (
    anchor_loop,
    anchoring,
    append_streams,
    evidence_store,
    relay,
    signer,
)
from tests.shared.bus_support import eventually, run_proc


async def drafting_leaf_ids(pool: asyncpg.Pool, settings: Settings) -> list[str]:
    rows = await pool.fetch(
        f"SELECT event_id::text AS id FROM {settings.schema_for('evidence')}.leaves "
        "WHERE source = 'drafting'"
    )
    return [r["id"] for r in rows]


async def unacked(nc: nats.NATS, settings: Settings) -> int:
    naming = Naming(settings.namespace)
    info = await nc.jetstream().consumer_info(
        naming.stream_name("drafting"), naming.durable_name("evidence.anchor", "drafting")
    )
    return int(info.num_ack_pending) + int(info.num_pending or 0)


class SlowToAck(AnchorLoop):
    """Acks its first batches only after `ack_wait`: JetStream redelivers them meanwhile."""

    slow_batches = 3
    redelivered = 0

    async def process(self, batch: list[Delivery]) -> None:
        SlowToAck.redelivered += sum(d.msg.metadata.num_delivered > 1 for d in batch)
        await super().process(batch)

    async def ack(self, deliveries: list[Delivery]) -> None:
        if self.slow_batches:
            self.slow_batches -= 1
            await asyncio.sleep(1.5)
        await super().ack(deliveries)


@pytest.mark.timeout(120)
async def test_2000_events_redelivered_and_a_killed_process_give_exactly_2000_leaves(
    store: EventStore, pool: asyncpg.Pool, nc: nats.NATS, settings: Settings
) -> None:
    events = await append_streams(store, streams=200, per_stream=10)
    await relay(store, nc, settings, "drafting")
    naming = Naming(settings.namespace)
    for event in events[:100]:  # the same event published again under another message id
        await nc.jetstream().publish(
            naming.event_subject("drafting", "sample", str(event.stream_id), event.event_type),
            canonical_bytes(event.document()),
            headers={"Nats-Msg-Id": f"again-{event.event_id}"},
        )
    assert (
        await asyncio.to_thread(
            run_proc, "tests.evidence.procs.anchor_killed_after_commit", settings
        )
        == -signal.SIGKILL
    )
    assert 0 < len(await drafting_leaf_ids(pool, settings)) < 2000
    ev_store = evidence_store(pool, settings)
    replica = anchor_loop(ev_store, settings, ack_wait=1.0, batch_size=200)
    args = (replica.writer, ev_store, replica.naming, replica.sources)
    slow = SlowToAck(*args, batch_size=200, fetch_timeout=0.3, ack_wait=1.0)
    other = SlowToAck(*args, batch_size=200, fetch_timeout=0.3, ack_wait=1.0)
    other.slow_batches = 0

    async def settled() -> bool:
        return len(await drafting_leaf_ids(pool, settings)) >= 2000 and not await unacked(
            nc, settings
        )

    async with anchoring(other, settings), anchoring(slow, settings):
        await eventually(settled, within=60)
    ids = await drafting_leaf_ids(pool, settings)
    assert len(ids) == 2000
    assert set(ids) == {str(e.event_id) for e in events}
    # Redelivered: the killed process's unacked batch, the slow acks, the second copies.
    assert SlowToAck.redelivered >= 100
    schema = settings.schema_for("evidence")
    rows = await pool.fetch(f"SELECT leaf_hash FROM {schema}.leaves ORDER BY leaf_index")
    note = await pool.fetchval(
        f"SELECT note FROM {schema}.checkpoints ORDER BY tree_size DESC LIMIT 1"
    )
    latest = parse_checkpoint(open_note(note, [signer().verifier])[0])
    assert latest.size == len(rows)
    assert latest.root == MemoryTree(bytes(r["leaf_hash"]) for r in rows).root()


async def test_malformed_messages_are_dead_lettered_and_the_rest_anchored(
    store: EventStore, pool: asyncpg.Pool, nc: nats.NATS, settings: Settings
) -> None:
    events = await append_streams(store, streams=2, per_stream=3)
    js = nc.jetstream()
    subject = f"{settings.namespace}.drafting.sample.x.SampleDeposited"
    await js.publish(subject, b"{not json")
    await js.publish(subject, b'{"b": 1, "a": 2}')  # JSON, but not canonical
    await relay(store, nc, settings, "drafting")
    ev_store = evidence_store(pool, settings)
    async with anchoring(anchor_loop(ev_store, settings), settings):

        async def done() -> bool:
            return len(await drafting_leaf_ids(pool, settings)) == 6 and not await unacked(
                nc, settings
            )

        await eventually(done, within=30)
    reasons = await pool.fetch(f"SELECT reason, body FROM {ev_store.schema}.dead_letters")
    assert sorted(r["body"] for r in reasons) == [b'{"b": 1, "a": 2}', b"{not json"]
    assert set(await drafting_leaf_ids(pool, settings)) == {str(e.event_id) for e in events}


async def test_a_failed_write_is_retried_and_each_event_still_gets_one_leaf(
    store: EventStore, pool: asyncpg.Pool, nc: nats.NATS, settings: Settings
) -> None:
    events = await append_streams(store, streams=3, per_stream=5)
    await relay(store, nc, settings, "drafting")
    loop = anchor_loop(evidence_store(pool, settings), settings)
    failures, commit = 2, loop.writer.commit

    async def away_twice(batch: list[Incoming]) -> Committed:
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionError("database away")
        return await commit(batch)

    loop.writer.commit = away_twice  # type: ignore[method-assign]
    async with anchoring(loop, settings):

        async def done() -> bool:
            return len(await drafting_leaf_ids(pool, settings)) == 15 and not await unacked(
                nc, settings
            )

        await eventually(done, within=30)
    assert failures == 0
    assert sorted(await drafting_leaf_ids(pool, settings)) == sorted(
        str(e.event_id) for e in events
    )
