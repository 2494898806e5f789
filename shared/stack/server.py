"""What the embedded servers share: start once, stop for sure, usable as a context manager."""

from __future__ import annotations

import http.client
import random
import socket
import time
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import NoReturn, Self

from shared.stack.process import Child, tail

# Proxies from the environment must not see requests to our own loopback servers.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EmbeddedStartError(RuntimeError):
    """An embedded server did not come up; the message ends with the tail of its log."""


# Linux's default; where the kernel says otherwise, `_ephemeral_floor` reads it.
_EPHEMERAL_FLOOR = 32768
# Below the ephemeral range and above most well-known servers' ports.
_OWN_PORTS_FROM = 15000


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now, below the kernel's ephemeral range.

    A port from `bind(0)` is an ephemeral one: until our server binds it, any outgoing
    connection on the machine may be given it as its local port (a NATS node dialling its
    routes did, and its peer then failed with "address already in use"). Ports below the range
    are only ever taken on purpose.
    """
    ceiling = _ephemeral_floor()
    for _ in range(200):
        port = random.randrange(_OWN_PORTS_FROM, ceiling)
        if port_is_free(host, port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        chosen: int = sock.getsockname()[1]
        return chosen


def _ephemeral_floor() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
    except OSError:
        return _EPHEMERAL_FLOOR
    floor = int(text.split()[0])
    return floor if floor > _OWN_PORTS_FROM + 1000 else _EPHEMERAL_FLOOR


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def http_ok(url: str, timeout: float = 1.0) -> bool:
    """Whether GET `url` answers 200, without raising for a server that is not up yet."""
    try:
        with _DIRECT.open(url, timeout=timeout) as response:
            status: int = response.status
    except (OSError, http.client.HTTPException):
        return False
    return status == 200


class EmbeddedServer(ABC):
    """A server process under `data_dir`, started by `start()` or `with`, ended by `stop()`."""

    stop_grace: float = 10.0

    def __init__(self, data_dir: Path, *, startup_timeout: float = 60.0) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.startup_timeout = startup_timeout
        self._child: Child | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return self._url

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child else None

    def start(self) -> Self:
        if self._child is None:
            self._child = self._spawn()
            try:
                self._url = self._wait_ready(self._child)
            except BaseException:
                self.stop()
                raise
        return self

    def stop(self) -> None:
        child, self._child, self._url = self._child, None, None
        if child is not None:
            child.stop(self.stop_grace)

    @abstractmethod
    def _spawn(self) -> Child: ...

    @abstractmethod
    def _wait_ready(self, child: Child) -> str:
        """Block until the server answers; return its URL."""

    def _poll(self, child: Child, probe: Callable[[], str | None]) -> str:
        """Call `probe` until it returns a URL, the child exits, or the startup timeout passes."""
        deadline = time.monotonic() + self.startup_timeout
        while (url := probe()) is None:
            if child.has_exited():
                self._fail(child, f"exited with status {child.exit_code()}")
            if time.monotonic() > deadline:
                self._fail(child, f"not ready after {self.startup_timeout:g} s")
            time.sleep(0.05)
        return url

    def _fail(self, child: Child, why: str) -> NoReturn:
        raise EmbeddedStartError(
            f"{child.name} {why}; log {child.log_path}:\n{tail(child.log_path)}"
        )

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
