"""The streams the bootstrap declares, and the consumers services create on them."""

from __future__ import annotations

import nats
import pytest
from nats.js.api import AckPolicy, StorageType
from nats.js.errors import APIError

from shared.bootstrap import prepare
from shared.bus.consumer import Consumer
from shared.config import SERVICES, Settings
from shared.store import EventStore
from shared.subjects import Naming
from tests.shared.bus_support import recording_handler, running


async def test_every_service_has_a_durable_audit_stream(nc: nats.NATS, settings: Settings) -> None:
    naming = Naming(settings.namespace)
    for service in SERVICES:
        config = (await nc.jetstream().stream_info(naming.stream_name(service))).config
        assert config.subjects == [f"{settings.namespace}.{service}.>"]
        assert config.storage == StorageType.FILE
        assert config.deny_delete
        assert config.deny_purge
        assert config.duplicate_window == settings.duplicate_window_seconds
        assert config.num_replicas == 1
        assert not config.max_age  # kept for ever: replay audits need everything


async def test_messages_cannot_be_deleted_or_purged(nc: nats.NATS, settings: Settings) -> None:
    js = nc.jetstream()
    stream = Naming(settings.namespace).stream_name("drafting")
    ack = await js.publish(f"{settings.namespace}.drafting.x.y.Z", b"{}")
    with pytest.raises(APIError):
        await js.delete_msg(stream, ack.seq)
    with pytest.raises(APIError):
        await js.purge_stream(stream)
    assert (await js.stream_info(stream)).state.messages == 1


async def test_declaring_again_is_harmless(nc: nats.NATS, settings: Settings) -> None:
    js = nc.jetstream()
    await js.publish(f"{settings.namespace}.signing.x.y.Z", b"{}")
    await prepare(settings)
    stream = Naming(settings.namespace).stream_name("signing")
    assert (await js.stream_info(stream)).state.messages == 1


async def test_a_consumer_is_a_durable_pull_consumer_with_explicit_acks(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    unordered = Consumer(
        "audit", ("drafting",), recording_handler(), max_deliver=4, ack_wait=12, ordered=False
    )
    ordered = Consumer("views", ("drafting",), recording_handler())
    naming = Naming(settings.namespace)
    stream = naming.stream_name("drafting")
    async with running(settings, store, unordered, ordered):
        js = nc.jetstream()
        info = await js.consumer_info(stream, naming.durable_name("audit", "drafting"))
        ordered_info = await js.consumer_info(stream, naming.durable_name("views", "drafting"))
    assert info.config.durable_name == "audit-from-drafting"
    assert info.config.deliver_subject is None  # pull, so that replicas share it
    assert info.config.ack_policy == AckPolicy.EXPLICIT
    assert info.config.ack_wait == 12
    assert info.config.max_deliver == 6  # ours is 4; the server's is only the backstop
    assert ordered_info.config.max_deliver == -1  # an early event waits for its predecessor
