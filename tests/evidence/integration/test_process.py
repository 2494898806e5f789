"""`jietiao serve evidence`: anchors what the other services relay, and stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import asyncpg
import nats
import pytest

from shared.config import Settings
from shared.store import EventStore
from tests.evidence.support import ORIGIN, append_streams, leaf_count, relay
from tests.shared.bus_support import eventually


@pytest.mark.timeout(120)
async def test_the_service_process_anchors_and_stops_on_sigterm(
    store: EventStore, pool: asyncpg.Pool, nc: nats.NATS, settings: Settings
) -> None:
    env = {
        **os.environ,
        "NATS_URL": settings.nats_url,
        "DATABASE_URL": settings.database_url,
        "JIETIAO_NAMESPACE": settings.namespace,
        "JIETIAO_EVIDENCE_ORIGIN": ORIGIN,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shared.cli", "serve", "evidence", env=env
    )
    try:
        await append_streams(store, streams=2, per_stream=3)
        await relay(store, nc, settings, "drafting")

        async def anchored() -> bool:
            return await leaf_count(pool, settings) >= 6

        await eventually(anchored, within=60)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
