"""The outbox relay against real PostgreSQL and JetStream."""

from __future__ import annotations

import asyncio
import json
import signal

import nats
import pytest
from nats.js import JetStreamContext

from shared.bus.relay import OutboxRelay, PublishRefusedError
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


class _LosingRelay(OutboxRelay):
    """A relay whose server loses one message of its first batch on the way, as a node that
    fails over mid-batch does; the messages after it still arrive."""

    lose: int | None = 3

    async def _send(
        self, nc: nats.NATS, subject: str, body: bytes, reply: str, headers: dict[str, str]
    ) -> None:
        if reply.endswith(f".{self.lose}"):
            self.lose = None
            return
        await super()._send(nc, subject, body, reply, headers)


async def test_a_message_lost_mid_batch_is_not_overtaken_by_the_ones_after_it(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    events = [sample_event() for _ in range(10)]
    for event in events:
        await store.append([event])
    relay = _LosingRelay(store, nc.jetstream(), Naming(settings.namespace), "drafting")
    relay.ack_timeout = 1.0
    with pytest.raises(PublishRefusedError):
        await relay.publish_pending()
    assert await relay.checkpoint() == 0
    # The three before it are stored; the six after it were refused, not stored ahead of it.
    assert len(await stream_messages(nc.jetstream(), settings)) == 3
    assert await relay.publish_pending() == 10
    messages = await stream_messages(nc.jetstream(), settings)
    assert [m.headers["Nats-Msg-Id"] for m in messages if m.headers] == [
        str(e.event_id) for e in events
    ]


async def test_a_leader_writes_its_checkpoint_once_per_interval_and_when_it_stops(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    relay = relay_for(store, nc, settings)
    relay.poll_seconds, relay.checkpoint_every = 30, 60
    written: list[int] = []
    save = relay.save_checkpoint

    async def recording(position: int) -> None:
        written.append(position)
        await save(position)

    relay.save_checkpoint = recording  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    for count in range(1, 6):
        await store.append([sample_event()])

        async def on_stream(count: int = count) -> bool:
            return len(await stream_messages(nc.jetstream(), settings)) == count

        await eventually(on_stream, within=5)
    assert written == [1]  # the first at once, the rest not due for a minute
    assert await relay.checkpoint() == 1
    stop.set()
    await asyncio.wait_for(task, 5)
    assert written == [1, 5]
    assert await relay.checkpoint() == 5


async def test_a_checkpoint_left_behind_is_written_once_due_with_nothing_new(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    relay = relay_for(store, nc, settings)
    relay.poll_seconds, relay.checkpoint_every = 30, 0.5
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    for position in (1, 2):
        await store.append([sample_event()])

        async def checkpointed(position: int = position) -> bool:
            return await relay.checkpoint() == position

        await eventually(checkpointed, within=5)  # well before the 30 s poll
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_the_checkpoint_never_moves_back(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    relay = relay_for(store, nc, settings)
    await relay.save_checkpoint(10)
    await relay.save_checkpoint(5)  # a deposed leader, late
    assert await relay.checkpoint() == 10
