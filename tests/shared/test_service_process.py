"""A service process: it answers liveness, relays its events, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import urllib.request

import nats
import pytest

from shared.config import Settings
from shared.stack.embedded import free_port
from shared.store import EventStore
from shared.subjects import Naming
from tests.shared.bus_support import eventually
from tests.shared.sample_events import sample_event


def healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            return int(reply.status)
    except OSError:
        return 0


@pytest.mark.timeout(120)
async def test_a_service_process_is_live_relays_and_stops_on_sigterm(
    store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "NATS_URL": settings.nats_url,
        "DATABASE_URL": settings.database_url,
        "JIETIAO_NAMESPACE": settings.namespace,
        "JIETIAO_HEALTH_PORT": str(port),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.cli", "serve", "drafting", env=env
    )
    try:

        async def live() -> bool:
            return await asyncio.to_thread(healthz, port) == 200

        await eventually(live, within=60)
        await store.append([sample_event()])
        stream = Naming(settings.namespace).stream_name("drafting")

        async def relayed() -> bool:
            info = await nc.jetstream().stream_info(stream)
            return info.state.messages == 1

        await eventually(relayed, within=10)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
