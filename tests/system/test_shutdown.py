"""SIGTERM during load: the stopped replicas finish, commit and ack what they hold and exit 0
(not by the hard-exit deadline); nothing they had is left for the ack wait to bring back, and
the run loses nothing."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import nats
import pytest
from nats.js import JetStreamContext

from services.evidence.ingest import CONSUMER as EVIDENCE_CONSUMER
from shared.config import Settings
from shared.subjects import Naming
from tests.system.faults import NOTES, load_with, sleep_unless
from tests.system.support import (
    BACKENDS,
    SOURCES,
    Services,
    assert_all_consistent,
    ok_notes,
    summary,
    wired_durables,
)

ACK_WAIT = 30.0  # every durable's (shared.bus.consumer.Consumer, evidence's anchoring)
TWO_EACH = {"drafting": 2, "identity": 2, "signing": 2, "evidence": 2}


def durables(naming: Naming) -> list[tuple[str, str]]:
    found = [d for ds in wired_durables(Settings(namespace=naming.namespace)).values() for d in ds]
    found += [(naming.stream_name(s), naming.durable_name(EVIDENCE_CONSUMER, s)) for s in SOURCES]
    return found


async def acked_within(
    js: JetStreamContext, naming: Naming, delivered: dict[str, int], since: float
) -> dict[str, float]:
    """Seconds from `since` until each durable's ack floor reached what had been delivered."""
    acked: dict[str, float] = {}
    while len(acked) < len(delivered):
        for stream, durable in durables(naming):
            if durable in acked:
                continue
            floor = (await js.consumer_info(stream, durable)).ack_floor.stream_seq or 0
            if floor >= delivered[durable]:
                acked[durable] = round(time.monotonic() - since, 2)
        assert time.monotonic() - since < ACK_WAIT - 3, f"unacked: {delivered}, {acked}"
        await asyncio.sleep(0.2)
    return acked


@pytest.mark.timeout(900)
async def test_sigterm_during_load_loses_nothing_and_leaves_nothing_unacked(
    settings: Settings, services_of: type[Services], tmp_path: Path
) -> None:
    services = services_of(settings, TWO_EACH, tmp_path / "logs")
    services.start()
    await services.live()
    naming = Naming(settings.namespace)
    nc = await nats.connect(settings.nats_servers)
    js = nc.jetstream()
    facts: dict[str, object] = {}

    async def sigterm_one_replica_of_each(done: asyncio.Event) -> None:
        if await sleep_unless(done, 20.0):
            return
        # What had been delivered to any replica by now, and when every one of them was acked.
        delivered = {
            d: (await js.consumer_info(s, d)).delivered.stream_seq or 0 for s, d in durables(naming)
        }
        stopped_at = time.monotonic()
        stopping = [services.signal(f"{s}-1", signal.SIGTERM) for s in BACKENDS]
        while not all(child.has_exited() for child in stopping):
            assert time.monotonic() - stopped_at < ACK_WAIT, "a replica did not stop"
            await asyncio.sleep(0.1)
        facts["stop_seconds"] = round(time.monotonic() - stopped_at, 2)
        facts["exit_codes"] = {c.name: c.exit_code() for c in stopping}
        for service in BACKENDS:
            services.restart(f"{service}-1")
        acked = await acked_within(js, naming, delivered, stopped_at)
        facts["acked_within_seconds"] = acked
        # Every consumer, evidence's anchoring included, naks or acks what it holds before it
        # exits: nothing waits for the ack wait.
        assert max(acked.values()) < ACK_WAIT - 3, acked

    try:
        run = await load_with(settings, sigterm_one_replica_of_each)
    finally:
        await nc.close()
    report = f"{summary(run)}; {facts}"
    print(f"\nSIGTERM to one replica of each service: {report}")
    assert facts["exit_codes"] == {f"{s}-1": 0 for s in BACKENDS}, report
    await services.live()
    assert not services.unexpected_exits(), report
    # Every note completes: the other replicas answer while these stop, and the driver
    # retries a command that was on its way to a stopping replica (see deploy/README.md).
    assert ok_notes(run) == NOTES, report
    await assert_all_consistent(settings, run, tmp_path)
