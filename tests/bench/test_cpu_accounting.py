"""A server's CPU counts its children's, alive or ended (PostgreSQL's backends), from /proc."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.common import cpu_seconds, server_cpu_seconds

BURN = 0.3  # seconds of CPU the child spends
_CHILD = f"""
import sys, time
started = time.process_time()
while time.process_time() - started < {BURN}:
    pass
sys.stdin.read()
"""
_PARENT = f"""
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", {_CHILD!r}], stdin=subprocess.PIPE)
print(child.pid, flush=True)
sys.stdin.readline()
child.stdin.close()
child.wait()
print("reaped", flush=True)
sys.stdin.readline()
"""


def test_a_servers_cpu_includes_its_children_alive_and_reaped() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdin is not None
    assert parent.stdout is not None
    try:
        child = int(parent.stdout.readline())
        deadline = time.monotonic() + 30
        while cpu_seconds(child) < BURN and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cpu_seconds(child) >= BURN
        assert cpu_seconds(parent.pid) < BURN  # the parent itself only waits
        assert server_cpu_seconds(parent.pid) >= BURN  # alive: counted as a child
        parent.stdin.write("\n")
        parent.stdin.flush()
        assert parent.stdout.readline().strip() == "reaped"
        assert server_cpu_seconds(parent.pid) >= BURN  # ended: in the parent's cutime
    finally:
        parent.kill()
        parent.wait()
