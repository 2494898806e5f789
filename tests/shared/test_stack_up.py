"""`jietiao up`: every service goes live on embedded servers, and SIGTERM leaves no process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from shared.config import SERVICES
from shared.stack.embedded import free_port
from shared.stack.server import http_ok
from shared.stack.supervisor import Supervisor
from tests.shared.test_embedded import process_tree, still_running

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")

_GIVEN_SERVERS = ("NATS_URL", "DATABASE_URL", "JIETIAO_NATS_URL", "JIETIAO_DATABASE_URL")


def processes_marked(marker: str) -> list[int]:
    """Pids of live processes whose environment holds `JIETIAO_TEST_MARK=<marker>`."""
    needle = f"JIETIAO_TEST_MARK={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if entry.name.isdigit() and needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


class Up:
    """`jietiao up` as a subprocess in a directory of its own, marked in its environment."""

    def __init__(self, root: Path, *args: str) -> None:
        self.root = root
        self.marker = uuid.uuid4().hex
        self.status_file = root / "status.json"
        env = {k: v for k, v in os.environ.items() if k not in _GIVEN_SERVERS}
        env["JIETIAO_TEST_MARK"] = self.marker
        command = [sys.executable, "-m", "shared.cli", "up", "--data-dir", str(root / "data")]
        command += ["--gateway-port", str(free_port()), "--status-file", str(self.status_file)]
        with (root / "up.log").open("wb") as output:
            self.process = subprocess.Popen(
                [*command, *args], env=env, stdout=output, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return (self.root / "up.log").read_text(errors="replace")[-6000:]

    def wait_live(self, within: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while not self.status_file.exists():
            assert self.process.poll() is None, f"`jietiao up` exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"not live in {within} s:\n{self.output()}"
            time.sleep(0.25)
        status: dict[str, Any] = json.loads(self.status_file.read_text())
        return status

    def stop(self, signum: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        return self.process.wait(90)

    def close(self) -> None:
        """After a failed test: stop gently (a killed `up` leaves its children to their death
        signal, and they may take long to stop with their servers gone), then for sure."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.mark.timeout(180)
def test_up_runs_every_service_and_sigterm_leaves_no_process(tmp_path: Path) -> None:
    up = Up(tmp_path)
    try:
        status = up.wait_live()
        processes = status["processes"]
        assert sorted(p["service"] for p in processes) == sorted(SERVICES)
        assert all(http_ok(p["health_url"]) for p in processes)
        assert set(status["embedded"]) == {"nats", "database"}
        assert status["gateway_url"] is not None
        assert http_ok(status["gateway_url"] + "healthz")
        everything = process_tree([up.process.pid])
        # Services, nats-server and the postmaster: started by `up`, so they carry the marker.
        assert len(processes_marked(up.marker)) >= len(SERVICES) + 3

        assert up.stop() == 0, up.output()
        assert not still_running(everything), up.output()
        assert processes_marked(up.marker) == [], up.output()
        assert not up.status_file.exists()
    finally:
        up.close()


@pytest.mark.timeout(180)
def test_up_starts_the_replicas_asked_for(tmp_path: Path) -> None:
    up = Up(tmp_path, "--replicas", "signing=3", "--replicas", "identity=0")
    try:
        status = up.wait_live()
        counts = Counter(p["service"] for p in status["processes"])
        assert counts == Counter({**dict.fromkeys(SERVICES, 1), "signing": 3, "identity": 0})
        signing = [p for p in status["processes"] if p["service"] == "signing"]
        assert len({p["pid"] for p in signing}) == len({p["port"] for p in signing}) == 3
        assert all(http_ok(p["health_url"]) for p in signing)
        everything = process_tree([up.process.pid])

        assert up.stop(signal.SIGINT) == 0, up.output()  # as Ctrl-C would
        assert not still_running(everything), up.output()
        assert processes_marked(up.marker) == [], up.output()
    finally:
        up.close()


@pytest.mark.timeout(180)
def test_up_stops_everything_and_fails_when_a_service_dies(tmp_path: Path) -> None:
    up = Up(tmp_path)
    try:
        status = up.wait_live()
        everything = process_tree([up.process.pid])
        victim = next(p for p in status["processes"] if p["service"] == "signing")
        os.kill(victim["pid"], signal.SIGKILL)

        assert up.process.wait(90) == 1, up.output()
        assert "service_exited" in up.output()
        assert not still_running(everything), up.output()
        assert processes_marked(up.marker) == [], up.output()
    finally:
        up.close()


def test_up_rejects_an_unknown_service() -> None:
    command = [sys.executable, "-m", "shared.cli", "up", "--replicas", "nosuch=2"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "nosuch" in result.stderr


_IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
)
# Exits on SIGTERM, leaving in its process group a grandchild that ignores it.
_LEAVES_A_GRANDCHILD = (
    "import subprocess, sys, time; "
    f"subprocess.Popen([sys.executable, '-c', {_IGNORES_SIGTERM!r}]); time.sleep(60)"
)


@pytest.mark.timeout(60)
def test_supervisor_kills_what_does_not_stop_and_what_is_left_behind() -> None:
    supervisor = Supervisor(grace=1.0)
    stubborn = supervisor.spawn("stubborn", [sys.executable, "-c", _IGNORES_SIGTERM])
    parent = supervisor.spawn("parent", [sys.executable, "-c", _LEAVES_A_GRANDCHILD])
    deadline = time.monotonic() + 10
    while len(everything := process_tree([stubborn.pid, parent.pid])) < 3:
        assert time.monotonic() < deadline, "the grandchild did not start"
        time.sleep(0.05)
    time.sleep(0.5)  # and ignores SIGTERM by now
    assert supervisor.first_exited() is None

    started = time.monotonic()
    supervisor.stop()
    assert time.monotonic() - started < 5
    assert not still_running(everything)


@pytest.mark.timeout(30)
def test_supervisor_reports_a_child_that_exits_on_its_own() -> None:
    with Supervisor(grace=1.0) as supervisor:
        supervisor.spawn("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
        quitter = supervisor.spawn("quitter", [sys.executable, "-c", "raise SystemExit(3)"])
        deadline = time.monotonic() + 10
        while supervisor.first_exited() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert supervisor.first_exited() is quitter
        assert quitter.exit_code() == 3
