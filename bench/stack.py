"""The whole stack as real processes, for a test or a benchmark: `jietiao serve <svc>` children
under `shared.stack`'s supervisor (the code behind `jietiao up`), in the caller's namespace."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.bootstrap import prepare
from shared.config import SERVICES, Settings
from shared.stack.plan import Replica, plan
from shared.stack.process import tail
from shared.stack.server import http_ok
from shared.stack.supervisor import Supervisor

# The HTTP edge is not needed to drive lifecycles over NATS commands.
DEFAULT_REPLICAS: Mapping[str, int] = {"drafting": 1, "identity": 1, "signing": 1, "evidence": 1}


@dataclass(frozen=True)
class Process:
    replica: Replica
    pid: int
    log_path: Path


@dataclass(frozen=True)
class Stack:
    settings: Settings
    processes: tuple[Process, ...]

    def pids(self, service: str) -> list[int]:
        return [p.pid for p in self.processes if p.replica.service == service]


class StackFailedError(RuntimeError):
    pass


def _env(settings: Settings, replica: Replica, extra: Mapping[str, str]) -> dict[str, str]:
    env = replica.env(os.environ, settings.nats_url, settings.database_url)
    env.update(
        {
            "JIETIAO_NAMESPACE": settings.namespace,
            "JIETIAO_ENV": settings.env,
            "JIETIAO_LOG_FORMAT": "json",
            "JIETIAO_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    return env


@contextlib.asynccontextmanager
async def running_stack(
    settings: Settings,
    replicas: Mapping[str, int] = DEFAULT_REPLICAS,
    *,
    env: Mapping[str, str] | None = None,
    log_dir: Path | None = None,
    startup_timeout: float = 90.0,
) -> AsyncIterator[Stack]:
    """Migrate and declare streams for `settings.namespace`, start `replicas` (service → process
    count; absent services are not started) and yield once every process answers its health
    check. Every process is stopped on exit. Spawn from the main thread (Linux death signal)."""
    await prepare(settings)
    counts = {service: replicas.get(service, 0) for service in SERVICES}
    with contextlib.ExitStack() as exits:
        logs = log_dir or Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="jt-")))
        supervisor = exits.enter_context(Supervisor(grace=10.0))
        processes = []
        for replica in plan(counts, settings.health_host, 0):
            log_path = logs / f"{replica.name}.log"
            child = supervisor.spawn(
                replica.name,
                replica.argv(),
                env=_env(settings, replica, env or {}),
                log_path=log_path,
            )
            processes.append(Process(replica, child.pid, log_path))
        await _wait_live(supervisor, processes, startup_timeout)
        yield Stack(settings, tuple(processes))
        if (gone := supervisor.first_exited()) is not None:
            raise StackFailedError(f"{gone.name} exited: {tail(gone.log_path)}")


async def _wait_live(supervisor: Supervisor, processes: list[Process], within: float) -> None:
    pending = list(processes)
    deadline = asyncio.get_running_loop().time() + within
    while pending:
        if (child := supervisor.first_exited()) is not None:
            raise StackFailedError(f"{child.name} exited: {tail(child.log_path)}")
        if asyncio.get_running_loop().time() > deadline:
            raise StackFailedError("not live: " + ", ".join(p.replica.name for p in pending))
        live = await asyncio.gather(
            *(asyncio.to_thread(http_ok, p.replica.health_url) for p in pending)
        )
        pending = [p for p, ok in zip(pending, live, strict=True) if not ok]
        if pending:
            await asyncio.sleep(0.2)
