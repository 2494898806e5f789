"""Durable, idempotent pull consumers against real PostgreSQL and JetStream."""

from __future__ import annotations

import asyncio
import signal
import uuid

import nats
import pytest

from shared.bus.consumer import Consumer, MessageProcessor, OutOfOrderError
from shared.bus.relay import OutboxRelay
from shared.config import Settings
from shared.events import Envelope
from shared.store import EventStore, Transaction
from shared.subjects import Naming
from tests.shared.bus_support import (
    create_effects_table,
    effect_counts,
    eventually,
    recording_handler,
    run_proc,
    running,
)
from tests.shared.sample_events import SampleOpened, sample_event


def crash_test_consumer() -> Consumer:
    return Consumer("crash-test", ("drafting",), recording_handler(), ack_wait=1.0)


async def publish(store: EventStore, nc: nats.NATS, settings: Settings, count: int) -> list[str]:
    events = [sample_event() for _ in range(count)]
    for event in events:
        await store.append([event])
    await OutboxRelay(
        store, nc.jetstream(), Naming(settings.namespace), "drafting"
    ).publish_pending()
    return [str(e.event_id) for e in events]


async def pending_acks(nc: nats.NATS, settings: Settings, consumer: str) -> int:
    naming = Naming(settings.namespace)
    info = await nc.jetstream().consumer_info(
        naming.stream_name("drafting"), naming.durable_name(consumer, "drafting")
    )
    return int(info.num_ack_pending) + int(info.num_pending or 0)


async def create_applied_table(store: EventStore) -> None:
    await store.pool.execute(
        f"CREATE TABLE {store.schema}.applied (seq bigserial, stream_id uuid, version int)"
    )


async def record_applied(event: Envelope, tx: Transaction) -> None:
    """The order in which a handler saw each stream's versions."""
    await tx.conn.execute(
        f"INSERT INTO {tx.schema}.applied (stream_id, version) VALUES ($1, $2)",
        event.stream_id,
        event.version,
    )


async def test_each_event_has_its_effect_once_and_is_acked(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    await create_effects_table(store)
    ids = await publish(store, nc, settings, 50)
    consumer = Consumer("once", ("drafting",), recording_handler())
    async with running(settings, store, consumer):

        async def done() -> bool:
            return len(await effect_counts(store)) == 50 and not await pending_acks(
                nc, settings, "once"
            )

        await eventually(done)
    assert await effect_counts(store) == dict.fromkeys(ids, 1)


async def test_crash_after_commit_before_ack_redelivers_and_the_effect_happens_once(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    await create_effects_table(store)
    [event_id] = await publish(store, nc, settings, 1)
    code = run_proc("tests.shared.procs.consumer_killed_before_ack", settings)
    assert code == -signal.SIGKILL
    assert await effect_counts(store) == {event_id: 1}  # committed before the kill
    assert await pending_acks(nc, settings, "crash-test") == 1  # ... and never acked
    async with running(settings, store, crash_test_consumer()):

        async def acked() -> bool:
            return await pending_acks(nc, settings, "crash-test") == 0

        await eventually(acked)
    assert await effect_counts(store) == {event_id: 1}


async def test_three_replicas_share_1000_events_each_effect_once(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    await create_effects_table(store)
    ids = await publish(store, nc, settings, 1000)
    replicas = [Consumer("shared", ("drafting",), recording_handler(f"r{i}")) for i in range(3)]
    async with (
        running(settings, store, replicas[0]),
        running(settings, store, replicas[1]),
        running(settings, store, replicas[2]),
    ):

        async def done() -> bool:
            return len(await effect_counts(store)) == 1000 and not await pending_acks(
                nc, settings, "shared"
            )

        await eventually(done, within=60)
    assert await effect_counts(store) == dict.fromkeys(ids, 1)
    used = await store.pool.fetchval(f"SELECT count(DISTINCT replica) FROM {store.schema}.effects")
    assert used >= 2, "the durable consumer was not shared between replicas"


async def test_poison_and_malformed_messages_are_dead_lettered_and_good_ones_flow(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    await create_effects_table(store)
    record = recording_handler()

    async def refuse_big_amounts(event: Envelope, tx: Transaction) -> None:
        if event.payload.amount > 1000:  # type: ignore[attr-defined]
            raise RuntimeError("cannot handle this one")
        await record(event, tx)

    poison = sample_event(amount="5000.00")
    await store.append([poison])
    good = await publish(store, nc, settings, 20)
    naming = Naming(settings.namespace)
    await nc.jetstream().publish(
        f"{settings.namespace}.drafting.sample.x.SampleDeposited",
        b"{not json",
        headers={"Nats-Msg-Id": "junk"},
    )
    await nc.jetstream().publish(
        f"{settings.namespace}.drafting.sample.y.SampleDeposited", b'{"event_type": "Nope"}'
    )
    consumer = Consumer(
        "picky", ("drafting",), refuse_big_amounts, max_deliver=3, backoff=(0.1, 0.2)
    )
    after = await publish(store, nc, settings, 20)
    async with running(settings, store, consumer):

        async def settled() -> bool:
            dead = await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.dead_letters")
            return dead == 3 and not await pending_acks(nc, settings, "picky")

        await eventually(settled)
    assert await effect_counts(store) == dict.fromkeys(good + after, 1)
    rows = await store.pool.fetch(
        f"SELECT event_id, deliveries, reason, body FROM {store.schema}.dead_letters ORDER BY id"
    )
    by_reason = {r["reason"].split(":")[0]: r for r in rows}
    failed = [r for r in rows if r["reason"].startswith("failed")]
    assert len(failed) == 1
    assert failed[0]["event_id"] == str(poison.event_id)
    assert failed[0]["deliveries"] == 3
    assert "cannot handle this one" in failed[0]["reason"]
    malformed = [r for r in rows if r["reason"].startswith("malformed")]
    assert sorted(r["body"] for r in malformed) == [b'{"event_type": "Nope"}', b"{not json"]
    assert all(r["deliveries"] == 1 for r in malformed)
    assert set(by_reason) == {"failed", "malformed"}
    assert naming.stream_name("drafting")


async def test_events_the_consumer_does_not_want_are_acked_without_effect(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    await create_effects_table(store)
    await publish(store, nc, settings, 5)
    consumer = Consumer(
        "choosy", ("drafting",), recording_handler(), event_types=frozenset({"SampleOpened"})
    )
    async with running(settings, store, consumer):

        async def acked() -> bool:
            return await pending_acks(nc, settings, "choosy") == 0

        await eventually(acked)
    assert await effect_counts(store) == {}


async def test_an_ordered_consumer_applies_each_stream_in_version_order(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    await create_applied_table(store)

    async def apply(event: Envelope, tx: Transaction) -> None:
        await asyncio.sleep(0.001 * (event.version % 3))  # uneven work, to tempt reordering
        await record_applied(event, tx)

    streams = [uuid.uuid4() for _ in range(8)]
    for version in range(1, 16):
        for stream in streams:
            await store.append([sample_event(stream, version)])
    await OutboxRelay(
        store, nc.jetstream(), Naming(settings.namespace), "drafting"
    ).publish_pending()
    replicas = [Consumer("ordered", ("drafting",), apply, backoff=(0.1,)) for _ in range(3)]
    async with (
        running(settings, store, replicas[0]),
        running(settings, store, replicas[1]),
        running(settings, store, replicas[2]),
    ):

        async def done() -> bool:
            count = await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.applied")
            return bool(count == 120) and not await pending_acks(nc, settings, "ordered")

        await eventually(done, within=60)
    rows = await store.pool.fetch(
        f"SELECT stream_id, version FROM {store.schema}.applied ORDER BY seq"
    )
    for stream in streams:
        assert [r["version"] for r in rows if r["stream_id"] == stream] == list(range(1, 16))


async def test_an_unwanted_event_moves_an_ordered_consumer_on_only_in_its_turn(
    store: EventStore,
) -> None:
    await create_effects_table(store)
    choosy = Consumer(
        "skip", ("drafting",), recording_handler(), event_types=frozenset({"SampleOpened"})
    )
    processor = MessageProcessor(choosy, store, "drafting")
    stream = uuid.uuid4()
    first, second = sample_event(stream, 1), sample_event(stream, 2)

    async def marked() -> int:
        return int(
            await store.pool.fetchval(
                f"SELECT count(*) FROM {store.schema}.processed_events WHERE consumer = 'skip'"
            )
        )

    with pytest.raises(OutOfOrderError):
        await processor._handle_once(second)  # early: put back, and nothing left behind
    assert await marked() == 0
    await processor._handle_once(first)
    await processor._handle_once(second)
    await processor._handle_once(second)  # a redelivery: already passed, not early
    assert await marked() == 2
    position = await store.pool.fetchval(
        f"SELECT version FROM {store.schema}.stream_positions WHERE consumer = 'skip'"
    )
    assert position == 2
    assert await effect_counts(store) == {}


async def test_an_ordered_consumer_keeps_order_across_events_it_skips(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    await create_applied_table(store)

    streams = [uuid.uuid4() for _ in range(6)]
    for version in range(1, 13):
        for stream in streams:
            # Every third event is one the consumer wants.
            payload = SampleOpened(owner="o") if version % 3 == 1 else None
            await store.append([sample_event(stream, version, payload=payload)])
    await OutboxRelay(
        store, nc.jetstream(), Naming(settings.namespace), "drafting"
    ).publish_pending()
    wanted = frozenset({"SampleOpened"})
    replicas = [
        Consumer("skipping", ("drafting",), record_applied, event_types=wanted, backoff=(0.1,))
        for _ in range(3)
    ]
    async with (
        running(settings, store, replicas[0]),
        running(settings, store, replicas[1]),
        running(settings, store, replicas[2]),
    ):

        async def done() -> bool:
            return not await pending_acks(nc, settings, "skipping")

        await eventually(done, within=60)
    rows = await store.pool.fetch(
        f"SELECT stream_id, version FROM {store.schema}.applied ORDER BY seq"
    )
    for stream in streams:
        assert [r["version"] for r in rows if r["stream_id"] == stream] == [1, 4, 7, 10]
    positions = await store.pool.fetch(
        f"SELECT version FROM {store.schema}.stream_positions WHERE consumer = 'skipping'"
    )
    assert [p["version"] for p in positions] == [12] * len(streams)
