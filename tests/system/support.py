"""The stack as `jietiao serve` processes that a test can kill, stop and restart, and the checks
every scaling and fault test ends with.

Load comes from `bench.lifecycle.run_lifecycles` (complete IOU lifecycles over NATS commands).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import nats

from bench.lifecycle import LifecycleRun
from shared.config import SERVICES, Settings
from shared.runtime import jetstream_durables, offline_broker
from shared.stack.plan import Replica, plan
from shared.stack.process import Child, stop_all, tail
from shared.stack.server import http_ok
from shared.subjects import Naming

# Without the HTTP edge: lifecycles are driven over NATS commands.
BACKENDS = ("drafting", "identity", "signing", "evidence")
SOURCES = ("drafting", "identity", "signing")


@dataclass
class Services:
    """Service processes of one namespace; each can be signalled and started again."""

    settings: Settings
    counts: Mapping[str, int]
    log_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    replicas: dict[str, Replica] = field(default_factory=dict)
    retired: list[Child] = field(default_factory=list)
    starts: int = 0

    def start(self) -> None:
        counts = {s: self.counts.get(s, 0) for s in SERVICES}
        for replica in plan(counts, "127.0.0.1", 0):
            self.replicas[replica.name] = replica
            self.spawn(replica.name)

    def spawn(self, name: str) -> Child:
        replica = self.replicas[name]
        env = replica.env(os.environ, self.settings.nats_url, self.settings.database_url)
        env.update(
            {
                "JIETIAO_NAMESPACE": self.settings.namespace,
                "JIETIAO_ENV": "test",
                "JIETIAO_LOG_FORMAT": "json",
                "JIETIAO_LOG_LEVEL": "WARNING",
                **self.env,
            }
        )
        self.starts += 1
        child = Child(name, replica.argv(), env=env, log_path=self.log_dir / f"{name}.log")
        self.children[name] = child
        return child

    def names(self, service: str | None = None) -> list[str]:
        return [n for n, r in self.replicas.items() if service in (None, r.service)]

    def signal(self, name: str, sig: signal.Signals) -> Child:
        child = self.children[name]
        os.kill(child.pid, sig)
        return child

    def restart(self, name: str) -> Child:
        """Start `name` again once its last process has exited (reaped, group swept)."""
        old = self.children[name]
        deadline = time.monotonic() + 5.0
        while not old.has_exited() and time.monotonic() < deadline:
            time.sleep(0.02)  # a signal just sent takes a moment to land
        stop_all([old], grace=0.0)
        self.retired.append(old)
        return self.spawn(name)

    async def live(self, within: float = 90.0) -> None:
        deadline = time.monotonic() + within
        for name, replica in self.replicas.items():
            while not await asyncio.to_thread(http_ok, replica.health_url):
                child = self.children[name]
                if child.has_exited():
                    raise AssertionError(f"{name} exited: {tail(child.log_path)}")
                assert time.monotonic() < deadline, f"{name} not live: {tail(child.log_path)}"
                await asyncio.sleep(0.2)

    def unexpected_exits(self) -> list[str]:
        return [n for n, c in self.children.items() if c.has_exited()]

    def stop(self) -> None:
        stop_all([*self.children.values()], grace=15.0)


# --- what every run must end with --------------------------------------------------------------


def ok_notes(run: LifecycleRun) -> int:
    return sum(o.ok for o in run.outcomes)


def assert_final_states(run: LifecycleRun) -> None:
    """Every note ends completed and anchored: the driver retries what went unanswered."""
    assert run.outcomes
    for outcome in run.outcomes:
        assert outcome.error is None, f"{outcome.note_id}: {outcome.error}"
        assert outcome.note_id is not None
        assert outcome.completed, f"{outcome.note_id} not completed"
        assert outcome.anchored, f"{outcome.note_id} not anchored"


def wired_durables(settings: Settings) -> dict[str, list[tuple[str, str]]]:
    """Service → (stream, durable) of each JetStream consumer it wires."""
    return {s: jetstream_durables(offline_broker(s, settings.namespace)) for s in BACKENDS}


async def assert_consumers_caught_up(settings: Settings, within: float = 120.0) -> None:
    """Every consumer of every service processed every event of its source (exactly once: the
    processed_events key; every consumer here is ordered, so it marks every event it sees),
    and its JetStream durable has nothing pending or unacked."""
    durables = wired_durables(settings)
    assert any(durables.values())
    deadline = time.monotonic() + within
    while True:
        missing = await _unprocessed(settings, durables)
        if not missing:
            break
        assert time.monotonic() < deadline, f"unprocessed events: {missing}"
        await asyncio.sleep(1.0)
    nc = await nats.connect(settings.nats_servers)
    try:
        js = nc.jetstream()
        while True:
            backlog = {}
            for stream, durable in (d for ds in durables.values() for d in ds):
                info = await js.consumer_info(stream, durable)
                if info.num_pending or info.num_ack_pending:
                    backlog[durable] = (info.num_pending, info.num_ack_pending)
            if not backlog:
                return
            assert time.monotonic() < deadline, f"consumer backlog: {backlog}"
            await asyncio.sleep(1.0)
    finally:
        await nc.close()


async def _unprocessed(
    settings: Settings, durables: dict[str, list[tuple[str, str]]]
) -> dict[str, int]:
    naming = Naming(settings.namespace)
    by_stream = {naming.stream_name(s): s for s in SERVICES}
    conn = await asyncpg.connect(settings.database_url)
    try:
        missing = {}
        for service, wired in durables.items():
            own = settings.schema_for(service)
            names = [
                r["consumer"]
                for r in await conn.fetch(f"SELECT DISTINCT consumer FROM {own}.processed_events")
            ]
            for stream, durable in wired:
                source = by_stream[stream]
                # processed_events names the consumer, JetStream its durable (per source).
                name = next((n for n in names if naming.durable_name(n, source) == durable), None)
                count = await conn.fetchval(
                    f"SELECT count(*) FROM {settings.schema_for(source)}.events e "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {own}.processed_events p "
                    "WHERE p.consumer = $1 AND p.event_id = e.event_id)",
                    name or "",
                )
                if count:
                    missing[durable] = int(count)
        return missing
    finally:
        await conn.close()


async def assert_one_leaf_per_event(settings: Settings) -> int:
    """Every event of every source service has exactly one leaf, and every leaf one event."""
    conn = await asyncpg.connect(settings.database_url)
    leaves = f"{settings.schema_for('evidence')}.leaves"
    try:
        events = 0
        for source in SOURCES:
            schema = settings.schema_for(source)
            count = await conn.fetchval(f"SELECT count(*) FROM {schema}.events")
            joined = await conn.fetchval(
                f"SELECT count(*) FROM {schema}.events e JOIN {leaves} l USING (event_id)"
            )
            logged = await conn.fetchval(f"SELECT count(*) FROM {leaves} WHERE source = $1", source)
            assert count == joined == logged, (source, count, joined, logged)
            events += count
        return int(events)
    finally:
        await conn.close()


def assert_audit_passes(settings: Settings, report: Path) -> None:
    """`jietiao audit` over every event store, stream and the log exits 0: no finding at all,
    JetStream's order included."""
    env = {
        **os.environ,
        "NATS_URL": settings.nats_url,
        "DATABASE_URL": settings.database_url,
        "JIETIAO_NAMESPACE": settings.namespace,
        "JIETIAO_ENV": "test",
    }
    result = subprocess.run(
        [sys.executable, "-m", "shared.cli", "audit", "--report", str(report)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


async def assert_all_consistent(settings: Settings, run: LifecycleRun, tmp: Path) -> None:
    assert_final_states(run)
    await assert_consumers_caught_up(settings)
    await assert_one_leaf_per_event(settings)
    assert_audit_passes(settings, tmp / "audit-report.json")


def summary(run: LifecycleRun) -> str:
    errors: dict[str, int] = {}
    for o in run.outcomes:
        if o.error:
            errors[o.error] = errors.get(o.error, 0) + 1
    return (
        f"{ok_notes(run)}/{len(run.outcomes)} notes completed and anchored in {run.elapsed:.1f} s "
        f"({run.lifecycles_per_second:.2f} lifecycles/s, {run.events_per_second:.1f} events/s); "
        f"commands retried: {run.retried} {run.retry_reasons}; cut short: {errors}"
    )
