"""Memory of the evidence service under sustained anchoring: drafting events for many notes are
appended straight into drafting's store, published by drafting's own relay (run here, as the
drafting process would) and anchored for real by a running `jietiao serve evidence`, which also
relays and anchors its own announcements. RSS is sampled after each step, once every event of
the step has its leaf. The other services are not run: the whole-system section measures them."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import nats

from bench.audit import _fill
from bench.common import Figure, bench_namespace, rss_mib
from bench.pipeline import _drop
from bench.stack import running_stack
from shared.bus.relay import OutboxRelay
from shared.config import Settings, nats_servers
from shared.store import EventStore, connect_pool
from shared.subjects import Naming

EVENTS_PER_NOTE = 20  # about what one whole lifecycle appends over drafting, identity, signing


async def _anchored(pool: asyncpg.Pool, schema: str, count: int, within: float) -> None:
    deadline = time.monotonic() + within
    query = f"SELECT count(*) FROM {schema}.leaves WHERE source = 'drafting'"
    while await pool.fetchval(query) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"evidence did not anchor {count} events in {within} s")
        await asyncio.sleep(0.5)


async def measure(db_url: str, nats_url: str, events: int, steps: int) -> list[tuple[int, float]]:
    """(drafting events anchored, evidence RSS MiB) after each step, and the peak at the end."""
    settings = Settings(
        database_url=db_url, nats_url=nats_url, namespace=bench_namespace(), env="dev"
    )
    pool = await connect_pool(db_url, max_size=10)
    try:
        async with running_stack(settings, {"evidence": 1}) as stack:
            pid = stack.pids("evidence")[0]
            store = EventStore(pool, settings.schema_for("drafting"))
            nc = await nats.connect(nats_servers(nats_url))
            relay = OutboxRelay(
                store, nc.jetstream(), Naming(settings.namespace), "drafting", batch_size=1000
            )
            series = [(0, rss_mib(pid)[0])]
            try:
                for step in range(1, steps + 1):
                    await _fill(store, events // steps)
                    await relay.publish_pending()
                    await _anchored(
                        pool, settings.schema_for("evidence"), step * events // steps, 600
                    )
                    series.append((step * events // steps, rss_mib(pid)[0]))
            finally:
                await nc.close()
            series.append((-1, rss_mib(pid)[1]))  # VmHWM: the peak
        await _drop(pool, settings)
    finally:
        await pool.close()
    return series


def figures(series: list[tuple[int, float]], events: int) -> tuple[list[Figure], list[str]]:
    cmd = (
        f"make bench  # bench.memory: {events:,} drafting events ({events // EVENTS_PER_NOTE:,} "
        "notes' worth) relayed and anchored by a running evidence process, RSS from /proc"
    )
    steps, peak = series[:-1], series[-1][1]
    notes = events // EVENTS_PER_NOTE
    first, last = steps[len(steps) // 2], steps[-1]  # the second half: pools and caches grown
    slope = (last[1] - first[1]) / ((last[0] - first[0]) / EVENTS_PER_NOTE / 1000)
    return (
        [
            Figure(
                f"evidence-1: peak RSS (VmHWM) after {notes:,} notes' events", "MiB", [peak], cmd
            ),
            Figure(
                "evidence-1: RSS growth per 1,000 notes' events over the second half",
                "MiB",
                [slope],
                cmd,
            ),
        ],
        [
            "| drafting events anchored | notes' worth | evidence-1 RSS (MiB) |",
            "|---:|---:|---:|",
            *[f"| {n:,} | {n // EVENTS_PER_NOTE:,} | {mib:.1f} |" for n, mib in steps],
        ],
    )
