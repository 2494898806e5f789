"""The service processes of `jietiao up`: start them, wait until live, watch them."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from shared.config import Settings
from shared.logging import get_logger
from shared.stack.plan import Replica
from shared.stack.process import tail
from shared.stack.report import Running
from shared.stack.server import http_ok
from shared.stack.signals import StopRequest
from shared.stack.supervisor import Supervisor

log = get_logger(__name__)


def launch(
    supervisor: Supervisor, replicas: Sequence[Replica], settings: Settings, data_dir: Path
) -> tuple[Running, ...]:
    running = []
    for replica in replicas:
        env = replica.env(os.environ, settings.nats_url, settings.database_url)
        log_path = data_dir / "logs" / f"{replica.name}.log"
        child = supervisor.spawn(replica.name, replica.argv(), env=env, log_path=log_path)
        running.append(Running(replica, child))
    return tuple(running)


def wait_live(
    supervisor: Supervisor, running: Sequence[Running], stop: StopRequest, timeout: float
) -> int | None:
    """None once every process answers its health check, else the exit code for the runner."""
    pending = list(running)
    deadline = time.monotonic() + timeout
    while pending:
        if stop.requested:
            return 0
        if _exited(supervisor):
            return 1
        if time.monotonic() > deadline:
            names = ", ".join(p.replica.name for p in pending)
            log.error("services_not_live", timeout=timeout, pending=names)
            return 1
        pending = [p for p in pending if not http_ok(p.replica.health_url)]
        if pending:
            time.sleep(0.25)
    return None


def watch(supervisor: Supervisor, running: Sequence[Running], stop: StopRequest) -> int:
    """Until a stop is requested (0) or a process exits on its own (1)."""
    while not stop.requested:
        if _exited(supervisor):
            return 1
        time.sleep(0.25)
    log.info("stopping", signal=stop.signum, processes=len(running))
    return 0


def _exited(supervisor: Supervisor) -> bool:
    child = supervisor.first_exited()
    if child is None:
        return False
    log.error(
        "service_exited",
        process=child.name,
        pid=child.pid,
        status=child.exit_code(),
        log_file=str(child.log_path),
        log_tail=tail(child.log_path),
    )
    return True
