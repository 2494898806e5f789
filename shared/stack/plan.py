"""Which service processes `jietiao up` runs, on which health ports, with which environment."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from shared.config import SERVICES
from shared.stack.server import free_port, port_is_free

DEFAULT_GATEWAY_PORT = 8000


@dataclass(frozen=True)
class Replica:
    """One process of one service; `index` counts from 1."""

    service: str
    index: int
    port: int
    host: str

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def health_url(self) -> str:
        return f"{self.base_url}healthz"

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "shared.cli", "serve", self.service]

    def env(self, base: Mapping[str, str], nats_url: str, database_url: str) -> dict[str, str]:
        return {
            **base,
            "NATS_URL": nats_url,
            "DATABASE_URL": database_url,
            "JIETIAO_HEALTH_PORT": str(self.port),
            # Logs go to files: unbuffered, so that they are there when a process dies.
            "PYTHONUNBUFFERED": "1",
        }


def parse_replicas(values: Iterable[str]) -> dict[str, int]:
    """`["signing=3"]` → a count for every service, 1 unless given; 0 leaves a service out."""
    counts = dict.fromkeys(SERVICES, 1)
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or name not in SERVICES or not number.isdigit():
            raise ValueError(f"{value!r}: expected NAME=N, NAME one of {', '.join(SERVICES)}")
        counts[name] = int(number)
    return counts


def gateway_port(host: str, requested: int | None) -> int:
    """The requested port (which must be free), else 8000 if free, else any free port."""
    if requested is not None:
        if requested and not port_is_free(host, requested):
            raise ValueError(f"port {requested} on {host} is taken")
        return requested or free_port(host)
    return DEFAULT_GATEWAY_PORT if port_is_free(host, DEFAULT_GATEWAY_PORT) else free_port(host)


def plan(counts: Mapping[str, int], bind_host: str, first_gateway_port: int) -> list[Replica]:
    """Every replica with its own health port; the first gateway replica gets the chosen one."""
    url_host = "127.0.0.1" if bind_host in ("", "0.0.0.0", "::") else bind_host
    taken = {first_gateway_port}
    replicas: list[Replica] = []
    for service in SERVICES:
        for index in range(1, counts.get(service, 1) + 1):
            if service == "gateway" and index == 1:
                port = first_gateway_port
            else:
                port = _unused_port(bind_host, taken)
            replicas.append(Replica(service, index, port, url_host))
    return replicas


def gateway(replicas: Sequence[Replica]) -> Replica | None:
    return next((r for r in replicas if r.service == "gateway" and r.index == 1), None)


def _unused_port(host: str, taken: set[int]) -> int:
    # Ports are only reserved once the child binds: avoid handing the same one out twice.
    while (port := free_port(host or "127.0.0.1")) in taken:
        pass
    taken.add(port)
    return port
