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


# The embedded servers' processes while `servers()` runs them: their CPU is the benchmark's to
# measure too. Servers from the environment may be shared or elsewhere: not measured.
_EMBEDDED: dict[str, int] = {}


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
        if pg.pid is not None and nc.pid is not None:
            _EMBEDDED.update({"PostgreSQL": pg.pid, "NATS": nc.pid})
        try:
            yield pg.url, nc.url
        finally:
            _EMBEDDED.clear()


def embedded_servers() -> dict[str, int]:
    """Name → pid of the embedded servers running now; empty with servers from the environment."""
    return dict(_EMBEDDED)


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
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(pid: int) -> float:
    """CPU time of a server process, its live children and those it has reaped: PostgreSQL's
    postmaster with every backend, ended or not."""
    ticks = sum(int(f) for f in _stat(pid)[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):  # ended meanwhile
            child = _stat(int(entry.name))
            if int(child[1]) == pid:
                ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """User + system CPU time of this process (the benchmark's driver)."""
    return time.process_time()


def _stat(pid: int) -> list[str]:
    # After the command name, which may hold spaces and parentheses: state is [0], ppid [1].
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _num(value: float) -> str:
    """Three significant digits at least: ratios of 0.06 and rates of 7,000 both read well."""
    if value != value:  # NaN: nothing was measured
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"
