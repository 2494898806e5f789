"""What `jietiao up` tells people (a table) and programs (a JSON status file) once it is live."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console
from rich.table import Table

from shared.stack.plan import Replica, gateway
from shared.stack.process import Child


@dataclass(frozen=True)
class Running:
    replica: Replica
    child: Child


@dataclass(frozen=True)
class StackInfo:
    data_dir: Path
    nats_url: str
    database_url: str
    embedded: Mapping[str, int]  # pid of the "nats" and "database" servers this run started
    processes: tuple[Running, ...]

    @property
    def gateway_url(self) -> str | None:
        first = gateway([p.replica for p in self.processes])
        return first.base_url if first else None

    def as_json(self) -> dict[str, object]:
        return {
            "pid": os.getpid(),
            "data_dir": str(self.data_dir),
            "nats_url": without_password(self.nats_url),
            "database_url": without_password(self.database_url),
            "embedded": dict(self.embedded),
            "gateway_url": self.gateway_url,
            "processes": [
                {
                    "service": p.replica.service,
                    "replica": p.replica.index,
                    "pid": p.child.pid,
                    "port": p.replica.port,
                    "health_url": p.replica.health_url,
                    "log": str(p.child.log_path),
                }
                for p in self.processes
            ],
        }


def write_status(path: Path, info: StackInfo) -> None:
    """Written whole or not at all: readers poll for the file and must never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(info.as_json(), indent=2) + "\n")
    partial.replace(path)


def show(console: Console, info: StackInfo) -> None:
    table = Table(title="Jietiao is up")
    for column in ("service", "replica", "pid", "health"):
        table.add_column(column)
    for p in info.processes:
        table.add_row(
            p.replica.service, str(p.replica.index), str(p.child.pid), p.replica.health_url
        )
    console.print(table)
    if info.gateway_url:
        console.print(f"Web UI and API: [bold]{info.gateway_url}[/bold]")
    for label, url, key in (
        ("NATS", info.nats_url, "nats"),
        ("PostgreSQL", info.database_url, "database"),
    ):
        origin = "embedded" if key in info.embedded else "from the environment"
        console.print(
            f"{label} ({origin}): {without_password(url)}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
    console.print(f"Data and logs: {info.data_dir}", highlight=False, soft_wrap=True, markup=False)
    console.print("Ctrl-C stops everything.")


def without_password(url: str) -> str:
    """URLs from the environment may carry a password; neither the screen nor a file needs it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
