"""The embedded NATS and PostgreSQL: they work, keep their data, and leave no process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable
from pathlib import Path

import asyncpg
import nats
import pytest

from shared.stack.embedded import EmbeddedNats, EmbeddedPostgres, free_port, nats_server_binary

Proc = tuple[int, int]  # (pid, start time): a pid alone may be reused by an unrelated process


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may hold spaces
    return fields[0], int(fields[1]), int(fields[19])


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def process_tree(roots: Iterable[int]) -> set[Proc]:
    """The roots and all their descendants, as they are now."""
    stats = {pid: stat for pid in _pids() if (stat := _stat(pid)) is not None}
    found: set[int] = set()
    todo = [pid for pid in roots if pid in stats]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo += [child for child, st in stats.items() if st[1] == pid and child not in found]
    return {(pid, stats[pid][2]) for pid in found}


def still_running(procs: Iterable[Proc], within: float = 5.0) -> set[Proc]:
    """Those of `procs` still alive (zombies count as gone) after waiting up to `within`."""
    deadline = time.monotonic() + within
    while True:
        alive = set()
        for pid, start in procs:
            stat = _stat(pid)
            if stat is not None and stat[2] == start and stat[0] != "Z":
                alive.add((pid, start))
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that contain `text` (a data directory, say)."""
    found = []
    for pid in _pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        stat = _stat(pid)
        if text in cmdline and pid != os.getpid() and stat is not None and stat[0] != "Z":
            found.append(cmdline)
    return found


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def test_free_port_is_bindable_and_below_the_ephemeral_range() -> None:
    port = free_port()
    floor = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    assert port < floor  # no outgoing connection can be handed it before our server binds
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_nats_server_comes_from_this_environment() -> None:
    assert Path(nats_server_binary()).parent == Path(sys.executable).parent


@pytest.mark.timeout(60)
async def test_embedded_nats_runs_jetstream_and_stops(tmp_path: Path) -> None:
    with EmbeddedNats(tmp_path) as server:
        assert server.url.startswith("nats://127.0.0.1:")
        assert not server.url.endswith(":4222")
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            await js.add_stream(name="EMBEDDED", subjects=["embedded.>"])
            ack = await js.publish("embedded.test", b"hello")
        finally:
            await nc.close()
        assert (ack.stream, ack.seq) == ("EMBEDDED", 1)
        assert (tmp_path / "nats" / "jetstream").is_dir()
        procs = process_tree([server.pid or 0])
        assert procs
    assert not still_running(procs)
    assert not processes_mentioning(str(tmp_path))


@pytest.mark.timeout(120)
async def test_embedded_postgres_answers_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    with EmbeddedPostgres(tmp_path) as server:
        conn = await asyncpg.connect(server.url)
        try:
            assert await conn.fetchval("SELECT 1") == 1
            await conn.execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")
        finally:
            await conn.close()
        procs = process_tree([server.pid or 0])
        assert len(procs) > 1  # the postmaster and its helpers
    assert not still_running(procs)
    assert not processes_mentioning(str(tmp_path))

    with EmbeddedPostgres(tmp_path) as server:
        conn = await asyncpg.connect(server.url)
        try:
            assert await conn.fetchval("SELECT x FROM kept") == 42
        finally:
            await conn.close()
    assert not processes_mentioning(str(tmp_path))


@pytest.mark.timeout(120)
async def test_embedded_postgres_in_a_deep_directory_uses_a_short_socket_path(
    tmp_path: Path,
) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    with EmbeddedPostgres(deep) as server:
        assert str(deep) not in server.url
        conn = await asyncpg.connect(server.url)
        try:
            assert await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()
    assert not processes_mentioning(str(deep))


_OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from shared.stack.embedded import EmbeddedNats, EmbeddedPostgres
    pg = EmbeddedPostgres(Path(sys.argv[1])).start()
    nc = EmbeddedNats(Path(sys.argv[1])).start()
    print("PIDS", pg.pid, nc.pid, flush=True)
    time.sleep(300)
    """
)


@pytest.mark.timeout(120)
def test_embedded_servers_die_with_a_killed_owner(tmp_path: Path) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert owner.stdout is not None
        # Unconfigured structlog also writes to stdout: look for our line.
        line = next((line for line in owner.stdout if line.startswith("PIDS ")), "")
        pids = [int(pid) for pid in line.split()[1:]]
        assert len(pids) == 2, "the owner did not start both servers"
        procs = process_tree(pids)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        assert not still_running(procs, within=30)
        assert not processes_mentioning(str(tmp_path))
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
