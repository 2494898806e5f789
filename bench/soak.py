"""Memory of every service process over a long run of real notes (a separate run, not in the
default `make bench`: thousands of lifecycles take longer than its 15 minutes): batches of user
pairs through whole lifecycles against the single-replica stack, RSS read from /proc after
each batch, and the slope over the second half projected to 100,000 notes."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from bench.common import Figure, rss_mib
from bench.lifecycle import run_lifecycles
from bench.stack import running_stack
from bench.system import ONE_EACH, bench_settings

TARGET_NOTES = 100_000


@dataclass
class Soak:
    notes: list[int] = field(default_factory=list)
    rss: dict[str, list[float]] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)
    failed: int = 0
    asked: int = 0


async def measure(db_url: str, nats_url: str, notes: int, pairs: int) -> Soak:
    settings = bench_settings(db_url, nats_url)
    soak = Soak(asked=notes)
    async with running_stack(settings, ONE_EACH) as stack:
        done = 0
        while done < notes:
            run = await run_lifecycles(settings, pairs)
            done += run.completed
            soak.failed += len(run.outcomes) - run.completed
            soak.notes.append(done)
            for process in stack.processes:
                current, peak = rss_mib(process.pid)
                soak.rss.setdefault(process.replica.name, []).append(current)
                soak.peak[process.replica.name] = peak
            print(f"[soak] {done} notes: " + _row(soak, -1), flush=True)
    return soak


def _row(soak: Soak, i: int) -> str:
    return ", ".join(f"{name} {rss[i]:.1f}" for name, rss in soak.rss.items())


def slope_per_1000(notes: list[int], rss: list[float]) -> float:
    """Least-squares MiB per 1,000 notes over the second half: after pools and caches have
    grown to their size, a leak shows as a slope, noise as scatter around a flat line."""
    half = len(notes) // 2
    xs, ys = notes[half:], rss[half:]
    if len(xs) < 2:
        return float("nan")
    return 1000 * statistics.linear_regression(xs, ys).slope


def figures(soak: Soak, pairs: int) -> tuple[list[Figure], list[str]]:
    n = soak.notes[-1]
    cmd = f"python -m bench --only soak --soak-notes {soak.asked}"
    cmd += f"  # separate run, {pairs} pairs a batch"
    out: list[Figure] = [Figure("lifecycles failed", "count", [float(soak.failed)], cmd)]
    for name, rss in soak.rss.items():
        slope = slope_per_1000(soak.notes, rss)
        projected = rss[-1] + max(slope, 0.0) * (TARGET_NOTES - n) / 1000
        out += [
            Figure(f"{name}: peak RSS (VmHWM) after {n:,} notes", "MiB", [soak.peak[name]], cmd),
            Figure(f"{name}: RSS growth per 1,000 notes, second half", "MiB", [slope], cmd),
            Figure(f"{name}: RSS projected to {TARGET_NOTES:,} notes", "MiB", [projected], cmd),
        ]
    return out, _series(soak)


def _series(soak: Soak) -> list[str]:
    every = max(1, len(soak.notes) // 12)
    rows = sorted({*range(0, len(soak.notes), every), len(soak.notes) - 1})
    lines = ["| after notes | " + " | ".join(soak.rss) + " |", "|---:|" + "---:|" * len(soak.rss)]
    lines += [
        f"| {soak.notes[i]:,} | " + " | ".join(f"{r[i]:.1f}" for r in soak.rss.values()) + " |"
        for i in rows
    ]
    return ["RSS (MiB) of each service process after batches of lifecycles:", "", *lines]
