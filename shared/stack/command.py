"""`jietiao up`: NATS and PostgreSQL (embedded unless given), migrations, then every service.

Everything it starts stops with it, in order: services first, then the servers they use.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import platformdirs
import typer
from rich.console import Console

from shared.config import Settings
from shared.logging import configure_logging, get_logger
from shared.stack.embedded import (
    EmbeddedNats,
    EmbeddedPostgres,
    EmbeddedServer,
    EmbeddedStartError,
)
from shared.stack.plan import Replica, gateway_port, parse_replicas, plan
from shared.stack.report import StackInfo, show, write_status
from shared.stack.services import launch, wait_live, watch
from shared.stack.signals import StopRequest, catch_stop_signals
from shared.stack.supervisor import Supervisor

log = get_logger(__name__)

DEFAULT_DATA_DIR = Path(platformdirs.user_data_dir("jietiao"))
# Either name counts as "given": they are the aliases `Settings` reads.
_NATS_VARS = ("NATS_URL", "JIETIAO_NATS_URL")
_DATABASE_VARS = ("DATABASE_URL", "JIETIAO_DATABASE_URL")


@dataclass(frozen=True)
class _Run:
    data_dir: Path
    replicas: list[Replica]
    grace: float
    startup_timeout: float
    status_file: Path | None


def up(
    data_dir: Annotated[
        Path, typer.Option(help="Data of the embedded servers, and every log.")
    ] = DEFAULT_DATA_DIR,
    replicas: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME=N", help="Processes of one service (repeatable; 0: none)."),
    ] = None,
    gateway_port_option: Annotated[
        int | None,
        typer.Option(
            "--gateway-port",
            help="Port of the web UI and API (default: 8000 if free, else any free port).",
        ),
    ] = None,
    status_file: Annotated[
        Path | None, typer.Option(help="Write pids and health URLs here as JSON once all live.")
    ] = None,
    startup_timeout: Annotated[float, typer.Option(help="Seconds for all to be live.")] = 60.0,
    grace: Annotated[float, typer.Option(help="Seconds a service may take to stop.")] = 10.0,
) -> None:
    """Run the whole stack on this machine until Ctrl-C or SIGTERM."""
    settings = Settings()
    configure_logging(settings)
    try:
        counts = parse_replicas(replicas or [])
        port = gateway_port(settings.health_host, gateway_port_option)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    run = _Run(
        data_dir.expanduser().absolute(),
        plan(counts, settings.health_host, port),
        grace,
        startup_timeout,
        status_file,
    )
    with catch_stop_signals() as stop:
        code = _run(settings, run, stop)
    raise typer.Exit(code)


def _run(settings: Settings, run: _Run, stop: StopRequest) -> int:
    with contextlib.ExitStack() as stack:
        try:
            settings, embedded = _servers(settings, run.data_dir, stack)
        except EmbeddedStartError as error:
            log.error("embedded_server_failed", error=str(error))
            return 1
        if stop.requested or not asyncio.run(_unless_stopped(_prepare(settings), stop)):
            return 0
        supervisor = stack.enter_context(Supervisor(grace=run.grace))
        running = launch(supervisor, run.replicas, settings, run.data_dir)
        if (code := wait_live(supervisor, running, stop, run.startup_timeout)) is not None:
            return code
        info = StackInfo(run.data_dir, settings.nats_url, settings.database_url, embedded, running)
        if run.status_file is not None:
            write_status(run.status_file, info)
            stack.callback(run.status_file.unlink, missing_ok=True)
        show(Console(), info)
        code = watch(supervisor, running, stop)
    return code


def _servers(
    settings: Settings, data_dir: Path, stack: contextlib.ExitStack
) -> tuple[Settings, dict[str, int]]:
    """The URLs to use: from the environment if given there, else of servers started here."""
    started: dict[str, EmbeddedServer] = {}
    if not any(os.environ.get(name) for name in _NATS_VARS):
        started["nats_url"] = stack.enter_context(EmbeddedNats(data_dir))
    if not any(os.environ.get(name) for name in _DATABASE_VARS):
        started["database_url"] = stack.enter_context(EmbeddedPostgres(data_dir))
    settings = settings.model_copy(update={key: s.url for key, s in started.items()})
    return settings, {key.removesuffix("_url"): s.pid or 0 for key, s in started.items()}


async def _prepare(settings: Settings) -> None:
    # Imported late: it pulls in every service's code, which `--help` does not need.
    from shared.bootstrap import prepare

    await prepare(settings)


async def _unless_stopped(work: Coroutine[Any, Any, None], stop: StopRequest) -> bool:
    """Run `work` unless a stop is requested first; whether it ran to the end."""
    task = asyncio.ensure_future(work)
    while not task.done():
        if stop.requested:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return False
        await asyncio.wait({task}, timeout=0.2)
    task.result()
    return True
