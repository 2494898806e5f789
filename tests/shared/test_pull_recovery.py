"""Pull consumers on standing requests: few requests, a stop that hands back what was delivered,
and recovery when the requests stop delivering (as after their NATS node went away, nats.py #504)
or the durable is deleted: it is made anew on the same durable and every event still has its
effect once. Real PostgreSQL and JetStream, broken for real."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import nats
import pytest
from nats.aio.msg import Msg

from shared.bus.consumer import Consumer, consumer_config
from shared.bus.recovery import ResilientPull, resilient_pull
from shared.config import Settings
from shared.events import Envelope
from shared.store import EventStore, Transaction
from shared.subjects import Naming
from tests.shared.bus_support import (
    create_effects_table,
    effect_counts,
    eventually,
    recording_handler,
    running,
)
from tests.shared.test_consumer import pending_acks, publish


async def _all_handled_once(store: EventStore, ids: list[str]) -> None:
    async def all_handled_once() -> bool:
        counts = await effect_counts(store)
        return set(counts) == set(ids) and set(counts.values()) == {1}

    await eventually(all_handled_once, within=30.0)


async def _inbox_deafened(pull: ResilientPull, nc: nats.NATS, settings: Settings) -> None:
    pull.stall_after = 1.0
    assert pull.sub is not None
    await pull.sub.unsubscribe()  # the server drops the requests: nobody listens


async def _durable_deleted(pull: ResilientPull, nc: nats.NATS, settings: Settings) -> None:
    stream = Naming(settings.namespace).stream_name("drafting")
    await nc.jetstream().delete_consumer(stream, pull.durable)  # its requests end with a 409


@pytest.mark.parametrize("breaking", [_inbox_deafened, _durable_deleted])
async def test_a_broken_pull_is_made_anew_and_nothing_is_lost(
    store: EventStore,
    nc: nats.NATS,
    settings: Settings,
    breaking: Callable[[ResilientPull, nats.NATS, Settings], Awaitable[None]],
) -> None:
    await create_effects_table(store)
    consumer = Consumer("recovers", ("drafting",), recording_handler())
    async with running(settings, store, consumer) as pulling:
        pull = pulling.pulls["recovers-from-drafting"]
        await breaking(pull, nc, settings)
        ids = await publish(store, nc, settings, 20)
        await _all_handled_once(store, ids)
    assert pull.renewals >= 1


async def test_a_trickle_of_events_is_delivered_on_a_few_standing_requests(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    """One by one, 40 events ride on standing requests topped up at half: not a request each."""
    await create_effects_table(store)
    naming = Naming(settings.namespace)
    requests: list[Msg] = []

    async def seen(msg: Msg) -> None:
        requests.append(msg)

    durable = naming.durable_name("trickle", "drafting")
    api = f"$JS.API.CONSUMER.MSG.NEXT.{naming.stream_name('drafting')}.{durable}"
    watch = await nc.subscribe(api, cb=seen)
    consumer = Consumer("trickle", ("drafting",), recording_handler(), batch_size=16)
    async with running(settings, store, consumer):
        ids: list[str] = []
        for _ in range(40):
            ids += await publish(store, nc, settings, 1)
            await _all_handled_once(store, ids)
    await watch.unsubscribe()
    # The first ask for 16, then a top-up each time half of those had come: 40 / 8 + 1.
    assert 1 <= len(requests) <= 6


async def test_stopping_handles_what_was_delivered_and_leaves_nothing_unacked(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    await create_effects_table(store)
    record = recording_handler()

    async def slowly(event: Envelope, tx: Transaction) -> None:
        await asyncio.sleep(0.05)  # the standing request delivers far ahead of the handler
        await record(event, tx)

    consumer = Consumer("stops", ("drafting",), slowly, batch_size=64)
    async with running(settings, store, consumer):
        ids = await publish(store, nc, settings, 60)
        await eventually(lambda: _some_handled(store), within=10.0)
    # After the stop: every delivered event was handled and acked, none waits for its ack wait.
    handled = await effect_counts(store)
    assert set(handled.values()) == {1}
    naming = Naming(settings.namespace)
    stream, durable = naming.stream_name("drafting"), naming.durable_name("stops", "drafting")

    async def nothing_awaits_its_ack() -> bool:
        info = await nc.jetstream().consumer_info(stream, durable)
        return info.num_ack_pending == 0

    await eventually(nothing_awaits_its_ack, within=3.0)
    assert await pending_acks(nc, settings, "stops") == len(ids) - len(handled)


async def _some_handled(store: EventStore) -> bool:
    return bool(await effect_counts(store))


@pytest.mark.parametrize("batch", [1, 7])
async def test_fetch_returns_at_most_its_batch(
    store: EventStore, nc: nats.NATS, settings: Settings, batch: int
) -> None:
    naming = Naming(settings.namespace)
    await publish(store, nc, settings, 10)
    config = consumer_config(Consumer("sizes", ("drafting",), recording_handler()), "sizes")
    pull = await resilient_pull(nc, naming, "drafting", config)
    got: list[Msg] = []
    while len(got) < 10:
        msgs = await pull.fetch(batch, timeout=5.0)
        assert 1 <= len(msgs) <= batch
        got += msgs
    assert await pull.fetch(batch, timeout=0.3) == []
    assert await pull.close() == []
    assert len({m.metadata.sequence.stream for m in got}) == 10
