"""The outbox relay against real PostgreSQL and JetStream."""

from __future__ import annotations

import asyncio
import json
import signal

import nats
import pytest
from nats.js import JetStreamContext

from shared.bus.relay import OutboxRelay
from shared.config import Settings
from shared.store import EventStore
from shared.subjects import Naming
from tests.shared.bus_support import eventually, run_proc
from tests.shared.sample_events import sample_event


def relay_for(store: EventStore, nc: nats.NATS, settings: Settings) -> OutboxRelay:
    return OutboxRelay(store, nc.jetstream(), Naming(settings.namespace), "drafting", batch_size=40)


async def stream_messages(js: JetStreamContext, settings: Settings) -> list[nats.aio.msg.Msg]:
    stream = Naming(settings.namespace).stream_name("drafting")
    info = await js.stream_info(stream)
    return [
        await js.get_msg(stream, seq)
        for seq in range(info.state.first_seq, info.state.last_seq + 1)
        if info.state.messages
    ]


async def test_events_are_published_in_order_with_their_id(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    events = [sample_event() for _ in range(100)]
    for event in events:
        await store.append([event])
    assert await relay_for(store, nc, settings).publish_pending() == 100
    messages = await stream_messages(nc.jetstream(), settings)
    assert [m.headers["Nats-Msg-Id"] for m in messages if m.headers] == [
        str(e.event_id) for e in events
    ]
    first = messages[0]
    assert first.subject == (
        f"{settings.namespace}.drafting.sample.{events[0].stream_id}.SampleDeposited"
    )
    assert first.data == events[0].canonical_bytes()
    assert json.loads(first.data)["event_id"] == str(events[0].event_id)


async def test_killed_between_publish_and_checkpoint_every_event_is_on_the_stream_once(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    events = [sample_event() for _ in range(100)]
    for event in events:
        await store.append([event])
    code = run_proc("tests.shared.procs.relay_killed_after_publish", settings)
    assert code == -signal.SIGKILL
    relay = relay_for(store, nc, settings)
    assert await relay.checkpoint() == 0  # the kill came before the checkpoint
    assert len(await stream_messages(nc.jetstream(), settings)) == 40  # ... and after a publish
    assert await relay.publish_pending() == 100  # the first 40 go out again
    ids = [
        m.headers["Nats-Msg-Id"]
        for m in await stream_messages(nc.jetstream(), settings)
        if m.headers
    ]
    assert sorted(ids) == sorted(str(e.event_id) for e in events)
    assert len(ids) == len(set(ids)) == 100


async def test_a_running_relay_publishes_new_events_promptly_and_stops(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    relay = relay_for(store, nc, settings)
    relay.poll_seconds = 30  # only the NOTIFY can wake it in time
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0.3)
    await store.append([sample_event()])

    async def published() -> bool:
        return await relay.checkpoint() == 1

    await eventually(published, within=5)
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_only_one_relay_leads(store: EventStore, nc: nats.NATS, settings: Settings) -> None:
    stop = asyncio.Event()
    relays = [relay_for(store, nc, settings) for _ in range(2)]
    for relay in relays:
        relay.poll_seconds = 0.1
    published: list[int] = []
    for index, relay in enumerate(relays):
        original = relay.publish

        async def counting(events: list, original=original, index=index) -> None:  # type: ignore[type-arg]
            published.extend([index] * len(events))
            await original(events)

        relay.publish = counting  # type: ignore[method-assign]
    tasks = [asyncio.create_task(r.run(stop)) for r in relays]
    for _ in range(30):
        await store.append([sample_event()])

    async def all_published() -> bool:
        return await relays[0].checkpoint() == 30

    await eventually(all_published, within=10)
    stop.set()
    await asyncio.gather(*tasks)
    assert len(published) == 30
    assert len(set(published)) == 1


class _FailingJetStream:
    """A server that takes two messages without acknowledging them, then drops the line."""

    def __init__(self) -> None:
        self.futures: list[asyncio.Future[object]] = []

    async def publish_async(self, *_: object, **__: object) -> asyncio.Future[object]:
        if len(self.futures) == 2:
            raise ConnectionResetError("the server went away")
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return future


async def test_acks_still_awaited_when_publishing_fails_are_given_up_not_leaked(
    store: EventStore, settings: Settings
) -> None:
    js = _FailingJetStream()
    relay = OutboxRelay(store, js, Naming(settings.namespace), "drafting")  # type: ignore[arg-type]
    for _ in range(3):
        await store.append([sample_event()])
    with pytest.raises(ConnectionResetError):
        await relay.publish_pending()
    # Each pending future holds one of nats-py's publish slots until it is done.
    assert len(js.futures) == 2
    assert all(f.cancelled() for f in js.futures)
    assert await relay.checkpoint() == 0
