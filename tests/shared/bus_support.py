"""Pieces the bus tests share: an effect table, a consumer running on a real broker, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

import nats

from shared.bus.consumer import Consumer, Subscribed
from shared.bus.pulling import PullConsumers
from shared.config import Settings
from shared.events import Envelope
from shared.store import EventStore, Transaction
from shared.subjects import Naming


async def create_effects_table(store: EventStore) -> None:
    # No unique key on purpose: a duplicate effect must show up as a second row.
    await store.pool.execute(
        f"CREATE TABLE IF NOT EXISTS {store.schema}.effects (event_id uuid NOT NULL, replica text)"
    )


def recording_handler(replica: str = "") -> Callable[[Envelope, Transaction], Awaitable[None]]:
    async def record(event: Envelope, tx: Transaction) -> None:
        await tx.conn.execute(
            f"INSERT INTO {tx.schema}.effects (event_id, replica) VALUES ($1, $2)",
            event.event_id,
            replica,
        )

    return record


async def effect_counts(store: EventStore) -> dict[str, int]:
    rows = await store.pool.fetch(
        f"SELECT event_id::text AS id, count(*) AS n FROM {store.schema}.effects GROUP BY 1"
    )
    return {r["id"]: r["n"] for r in rows}


@contextlib.asynccontextmanager
async def running(
    settings: Settings, store: EventStore, *consumers: Consumer
) -> AsyncIterator[PullConsumers]:
    """`consumers` pulling, as a service process runs them, until the block ends."""
    nc = await nats.connect(settings.nats_servers)
    naming = Naming(settings.namespace)
    pulling = PullConsumers([Subscribed(c, store, naming) for c in consumers])
    await pulling.start(nc)
    try:
        yield pulling
    finally:
        await pulling.stop()
        await nc.close()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {within} s: {check.__qualname__}")
        await asyncio.sleep(0.1)


def run_proc(module: str, settings: Settings, timeout: float = 60.0) -> int:
    """Run a test process against this test's namespace; returns its exit code."""
    env = {
        **os.environ,
        "NATS_URL": settings.nats_url,
        "DATABASE_URL": settings.database_url,
        "JIETIAO_NAMESPACE": settings.namespace,
    }
    return subprocess.run([sys.executable, "-m", module], env=env, timeout=timeout).returncode
