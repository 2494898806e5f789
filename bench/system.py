"""The whole system: concurrent user pairs through complete IOU lifecycles against the services
running as processes, each repetition next to a substrate-ceiling run of the same moment; then
open-loop at half the measured maximum (the latency target's load); then 3 replicas of signing
and evidence; and the memory of every service process along the way."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

from bench import pipeline
from bench.common import (
    Figure,
    bench_namespace,
    cpu_seconds,
    embedded_servers,
    own_cpu_seconds,
    percentile,
    rss_mib,
    server_cpu_seconds,
)
from bench.lifecycle import LifecycleRun, run_lifecycles
from bench.profiling import profiled
from bench.stack import Stack, running_stack
from shared.bootstrap import prepare
from shared.config import Settings
from shared.logging import configure_logging
from shared.runtime import ServiceProcess, load_service

SUBSTRATE_EVENTS = 2000
HALF_LOAD_SECONDS = 20.0
# Polls for signing to open the note are queries, not a user's command.
_NOT_USER_COMMANDS = frozenset({"get_note_signing_state", "dev_inbox"})
ONE_EACH: Mapping[str, int] = {"drafting": 1, "identity": 1, "signing": 1, "evidence": 1}
THREE: Mapping[str, int] = {**ONE_EACH, "signing": 3, "evidence": 3}


@dataclass
class Memory:
    """RSS of every service process after each run, and how many notes had completed by then."""

    notes: list[int] = field(default_factory=list)
    rss: dict[str, list[float]] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)
    steady_from: int = 0  # the sample after the first half-load run

    def sample(self, stack: Stack, notes: int) -> None:
        self.notes.append(notes)
        for process in stack.processes:
            current, peak = rss_mib(process.pid)
            self.rss.setdefault(process.replica.name, []).append(current)
            self.peak[process.replica.name] = peak


@dataclass
class Measured:
    samples: dict[str, list[float]] = field(default_factory=dict)
    failed: int = 0
    notes: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.samples.setdefault(name, []).append(value)

    def record(self, run: LifecycleRun, ceiling: float | None, cpu: Mapping[str, float]) -> None:
        self.failed += len(run.outcomes) - run.completed
        for o in run.outcomes:
            if not o.ok:
                why = o.error or (
                    "not anchored in time" if o.completed else "not completed in time"
                )
                self.reasons[why] = self.reasons.get(why, 0) + 1
        self.notes += run.completed
        for service, seconds in cpu.items():
            self.add(f"cpu {service}", 1000 * seconds / max(run.completed, 1))
        commands = [
            s for name, xs in run.latencies.items() if name not in _NOT_USER_COMMANDS for s in xs
        ]
        self.add("lifecycles/s", run.lifecycles_per_second)
        self.add("events/s", run.events_per_second)
        if ceiling is not None:
            self.add("ceiling", ceiling)
            self.add("ratio", run.events_per_second / ceiling)
        for q in (0.5, 0.95, 0.99):
            p = f"p{q * 100:.0f}"
            self.add(f"command {p}", 1000 * percentile(commands, q))
            self.add(f"completed {p}", 1000 * percentile(run.second_signature_to_completed, q))
            self.add(f"anchored {p}", 1000 * percentile(run.commit_to_anchored, q))


def _cpu(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each service (its replicas summed), by the embedded servers
    when they run here, and by this process, the load driver: the whole machine's work."""
    used: dict[str, float] = {}
    for process in stack.processes:
        service = process.replica.service
        used[service] = used.get(service, 0.0) + cpu_seconds(process.pid)
    for server, pid in embedded_servers().items():
        used[server] = server_cpu_seconds(pid)
    used["the load driver"] = own_cpu_seconds()
    return used


async def _run(
    stack: Stack, settings: Settings, pairs: int, rate: float | None = None
) -> tuple[LifecycleRun, dict[str, float]]:
    before = _cpu(stack)
    run = await run_lifecycles(settings, pairs, arrival_rate=rate)
    return run, {s: used - before[s] for s, used in _cpu(stack).items()}


async def _closed(
    settings: Settings,
    urls: tuple[str, str],
    pairs: int,
    times: int,
    memory: Memory | None,
    stack: Stack,
) -> Measured:
    measured = Measured()
    for _ in range(times):
        ceiling = await pipeline.substrate_once(*urls, SUBSTRATE_EVENTS)
        run, cpu = await _run(stack, settings, pairs)
        measured.record(run, ceiling, cpu)
        if memory is not None:
            memory.sample(stack, memory.notes[-1] + run.completed)
    return measured


async def _open(
    settings: Settings, rate: float, times: int, memory: Memory, stack: Stack
) -> Measured:
    measured = Measured()
    pairs = max(4, round(rate * HALF_LOAD_SECONDS))
    for _ in range(times):
        run, cpu = await _run(stack, settings, pairs, rate)
        measured.record(run, None, cpu)
        memory.sample(stack, memory.notes[-1] + run.completed)
    return measured


def bench_settings(db_url: str, nats_url: str) -> Settings:
    return Settings(
        database_url=db_url,
        nats_url=nats_url,
        namespace=bench_namespace(),
        env="dev",
        log_level="WARNING",
    )


@dataclass
class SystemResults:
    closed: Measured
    half: Measured
    three: Measured
    memory: Memory
    half_rate: float


async def measure(db_url: str, nats_url: str, pairs: int, times: int) -> SystemResults:
    urls = (db_url, nats_url)
    memory = Memory()
    settings = bench_settings(*urls)
    async with running_stack(settings, ONE_EACH) as stack:
        warm = await run_lifecycles(settings, 2)  # first keys, first connections
        memory.sample(stack, warm.completed)
        closed = await _closed(settings, urls, pairs, times, memory, stack)
        rate = statistics.median(closed.samples["lifecycles/s"]) / 2
        memory.steady_from = len(memory.notes)
        half = await _open(settings, rate, times, memory, stack)
    settings = bench_settings(*urls)
    # Eight processes with the default pool of 10 each and the substrate run come close to a
    # server's 100 connections; with 4 each a signing replica starved (timeouts), 8 is enough.
    async with running_stack(settings, THREE, env={"JIETIAO_DB_POOL_MAX": "8"}) as stack:
        await run_lifecycles(settings, 2)
        three = await _closed(settings, urls, pairs, times, None, stack)
    return SystemResults(closed, half, three, memory, rate)


def figures(results: SystemResults, pairs: int) -> dict[str, list[Figure]]:
    cmd = f"make bench  # bench.system, {pairs} concurrent pairs, 1 lifecycle each"
    half_cmd = f"make bench  # bench.system, open loop at {results.half_rate:.2f} lifecycles/s"
    three_cmd = f"{cmd}, signing=3 evidence=3"

    def of(measured: Measured, label: str, command: str) -> list[Figure]:
        s = measured.samples
        out = [
            Figure(f"{label}: lifecycles", "lifecycles/s", s["lifecycles/s"], command),
            Figure(f"{label}: events through the system", "events/s", s["events/s"], command),
        ]
        if "ratio" in s:
            out += [
                Figure(
                    f"{label}: substrate ceiling (same moment)", "events/s", s["ceiling"], command
                ),
                Figure(f"{label}: events/s ÷ substrate ceiling", "ratio", s["ratio"], command),
            ]
        latencies = {
            "command": "command reply",
            "completed": "second signature → NoteCompleted",
            "anchored": "event commit → EvidenceAnchored",
        }
        out += [
            Figure(f"{label}: {what} {p}", "ms", s[f"{key} {p}"], command)
            for key, what in latencies.items()
            for p in ("p50", "p95", "p99")
        ]
        out += [
            Figure(f"{label}: CPU of {name.removeprefix('cpu ')} per lifecycle", "ms", xs, command)
            for name, xs in s.items()
            if name.startswith("cpu ")
        ]
        out.append(
            Figure(f"{label}: lifecycles failed", "count", [float(measured.failed)], command)
        )
        return out

    return {
        "Whole system": of(results.closed, "1 replica each, max load", cmd)
        + of(results.half, "1 replica each, half the max load", half_cmd),
        "Whole system, 3 replicas of signing and evidence": of(
            results.three, "3 replicas", three_cmd
        ),
        "Memory": memory_figures(results.memory),
    }


def failures(results: SystemResults) -> list[str]:
    """Why lifecycles failed, per configuration ("<step>: <code>" or a timeout)."""
    runs = {"1 replica, max load": results.closed, "1 replica, half load": results.half}
    runs["3 replicas"] = results.three
    lines = [f"- {label}: {m.reasons}" for label, m in runs.items() if m.reasons]
    return lines or ["- none"]


def memory_series(memory: Memory) -> list[str]:
    """RSS of every process after each run, as a table: flat or not, at a glance."""
    lines = ["| after notes | " + " | ".join(memory.rss) + " |"]
    lines.append("|---:|" + "---:|" * len(memory.rss))
    for i, notes in enumerate(memory.notes):
        lines.append(
            f"| {notes} | " + " | ".join(f"{r[i]:.1f}" for r in memory.rss.values()) + " |"
        )
    return [
        "RSS (MiB) after the warm-up, each max-load run, then each half-load run:",
        "",
        *lines,
    ]


def memory_figures(memory: Memory) -> list[Figure]:
    cmd = f"make bench  # bench.system, RSS from /proc after each run, {memory.notes[-1]} notes"
    out = []
    for name, rss in memory.rss.items():
        out.append(
            Figure(
                f"{name}: peak RSS (VmHWM) after {memory.notes[-1]} notes",
                "MiB",
                [memory.peak[name]],
                cmd,
            )
        )
        # Steady state: the same open-loop load run after run, once the max-load runs have
        # grown every pool and cache to its size.
        first = memory.steady_from
        grown = rss[-1] - rss[first]
        notes = memory.notes[-1] - memory.notes[first]
        out.append(
            Figure(
                f"{name}: RSS growth per 1,000 notes over the half-load runs",
                "MiB",
                [1000 * grown / max(notes, 1)],
                cmd,
            )
        )
    return out


async def profile(db_url: str, nats_url: str, pairs: int) -> list[str]:
    """The four services in this one process under pyinstrument while `pairs` lifecycles run:
    where their CPU goes (processes in production; here they share one interpreter)."""
    settings = bench_settings(db_url, nats_url)
    configure_logging(settings)  # the services' own debug lines would flood the bench's output
    await prepare(settings)
    processes = [ServiceProcess(load_service(name), settings) for name in ONE_EACH]
    tasks = [asyncio.create_task(p.run()) for p in processes]
    try:
        await run_lifecycles(settings, 1)  # every service answers, keys exist
        run, top = await profiled(run_lifecycles(settings, pairs), top=12)
    finally:
        for process in processes:
            process.stopping.set()
        await asyncio.gather(*tasks)
    return [f"{run.completed} lifecycles in {run.elapsed:.1f} s, all in one process", *top]
