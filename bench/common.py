"""What every benchmark shares: the servers to run on, repetitions, the machine, the report."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    name: str
    unit: str
    samples: list[float]
    command: str

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        return max(self.samples) - min(self.samples)


@contextlib.contextmanager
def servers() -> Iterator[tuple[str, str]]:
    """`DATABASE_URL`/`NATS_URL` when set, else the embedded ones `jietiao up` would start."""
    if os.environ.get("DATABASE_URL") and os.environ.get("NATS_URL"):
        yield os.environ["DATABASE_URL"], os.environ["NATS_URL"]
        return
    from shared.stack.embedded import EmbeddedNats, EmbeddedPostgres

    with (
        tempfile.TemporaryDirectory(prefix="jt-bench-") as root,
        EmbeddedPostgres(Path(root)) as pg,
        EmbeddedNats(Path(root)) as nc,
    ):
        yield pg.url, nc.url


def bench_namespace() -> str:
    return f"bench{uuid.uuid4().hex[:8]}"


async def repeat(run: Callable[[], Awaitable[float]], times: int) -> list[float]:
    return [await run() for _ in range(times)]


def rate(count: int, started: float) -> float:
    return count / (time.perf_counter() - started)


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    versions = ", ".join(
        f"{p} {metadata.version(p)}"
        for p in ("faststream", "nats-py", "asyncpg", "pydantic", "eventsourcing", "pymerkle")
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return {
        "cores": str(os.cpu_count()),
        "load average at the end (1, 5, 15 min)": load,
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "packages": versions,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write_results(
    path: Path,
    sections: dict[str, list[Figure]],
    notes: list[str],
    extra: dict[str, list[str]] | None = None,
    machine_info: dict[str, str] | None = None,
) -> str:
    lines = ["# Benchmark results", "", "Written by `make bench`; figures are medians.", ""]
    lines += [f"- **{k}**: {v}" for k, v in (machine_info or machine()).items()]
    for title, figures in sections.items():
        lines += ["", f"## {title}", "", "| figure | median | spread | unit | runs | command |"]
        lines += ["|---|---:|---:|---|---:|---|"]
        lines += [
            f"| {f.name} | {_num(f.median)} | {_num(f.spread)} | {f.unit} | {len(f.samples)} "
            f"| `{f.command}` |"
            for f in figures
        ]
    for title, block in (extra or {}).items():
        lines += ["", f"## {title}", "", *block]
    lines += ["", "## Notes", "", *[f"- {n}" for n in notes], ""]
    text = "\n".join(lines)
    path.write_text(text)
    return text


def percentile(samples: list[float], q: float) -> float:
    """The `q` quantile (0..1) by the nearest-rank method; NaN for no sample."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def rss_mib(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a live process in MiB, from /proc (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used (Linux /proc, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _num(value: float) -> str:
    """Three significant digits at least: ratios of 0.06 and rates of 7,000 both read well."""
    if value != value:  # NaN: nothing was measured
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"
