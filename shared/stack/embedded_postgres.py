"""PostgreSQL from the `pgserver` wheel's binaries, run as our own child process.

`pgserver.get_server` starts postgres through `pg_ctl`, which detaches it: if the owner is
killed, postgres keeps running, and its pid-list bookkeeping then also skips the stop on later
runs. Running the postmaster ourselves lets it die with us (death signal SIGINT, its fast
shutdown) and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

from shared.logging import get_logger
from shared.stack.process import Child, primary_group
from shared.stack.server import EmbeddedServer, EmbeddedStartError

log = get_logger(__name__)

_PORT = 5432  # names the socket file only: the server listens on no TCP address
_SOCKET_NAME = f".s.PGSQL.{_PORT}"
_SUN_PATH_MAX = 107  # sockaddr_un.sun_path holds 108 bytes, one is the terminating NUL
# postgres refuses to run as root; as root we run it as this user, the one pgserver also uses.
_SYSTEM_USER = "pgserver"


class EmbeddedPostgres(EmbeddedServer):
    """A postmaster on a unix socket, data in `<data_dir>/postgres` (kept across restarts)."""

    stop_grace = 30.0  # fast shutdown still writes a checkpoint

    def __init__(
        self, data_dir: Path, *, startup_timeout: float = 60.0, max_connections: int = 300
    ) -> None:
        super().__init__(data_dir, startup_timeout=startup_timeout)
        self.pgdata = self.data_dir / "postgres"
        self.max_connections = max_connections
        self._socket_dir = self.pgdata

    def _spawn(self) -> Child:
        user = _system_user()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user is not None:
            _grant_search(self.data_dir, user)
            # The binaries live in the virtualenv, which may sit in a private directory.
            _grant_search(_bin_dir(), user)
        if not (self.pgdata / "PG_VERSION").exists():
            _initdb(self.pgdata, user)
        self._socket_dir = _socket_dir(self.pgdata, user)
        argv = [
            str(_bin_dir() / "postgres"),
            "-D", str(self.pgdata),
            "-k", str(self._socket_dir),
            "-p", str(_PORT),
            "-c", "listen_addresses=",
            "-c", f"max_connections={self.max_connections}",
        ]  # fmt: skip
        return Child(
            "postgres",
            argv,
            log_path=self.data_dir / "logs" / "postgres.log",
            user=user,
            # SIGINT is its fast shutdown; its children have sessions of their own and follow
            # the postmaster, so the signal goes to it alone.
            stop_signal=signal.SIGINT,
            stop_whole_group=False,
            death_signal=signal.SIGINT,
        )

    def _wait_ready(self, child: Child) -> str:
        host = quote(str(self._socket_dir), safe="/")
        url = f"postgresql://postgres@/postgres?host={host}&port={_PORT}"
        self._poll(child, lambda: url if _postmaster_ready(self.pgdata, child.pid) else None)
        log.info("embedded_postgres_ready", url=url, pid=child.pid)
        return url

    def stop(self) -> None:
        super().stop()
        if self._socket_dir != self.pgdata:
            # Postgres has removed its socket; only the directory is left in the temp dir.
            with contextlib.suppress(OSError):
                self._socket_dir.rmdir()


def _bin_dir() -> Path:
    # Located without importing pgserver, whose import already sets up lock and runtime paths.
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedStartError("PostgreSQL binaries not found: install the pgserver package")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _postmaster_ready(pgdata: Path, pid: int) -> bool:
    """What `pg_ctl -w` checks: postmaster.pid names our process and says `ready`."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) >= 8 and lines[0].strip() == str(pid) and lines[7].strip() == "ready"


def _system_user() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        command = ["useradd", "--system", "--no-create-home", _SYSTEM_USER]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise EmbeddedStartError(
                f"cannot create user {_SYSTEM_USER}: {result.stderr}"
            ) from None
    return _SYSTEM_USER


def _grant_search(path: Path, user: str) -> None:
    """Let `user` reach `path`: add search permission for others on it and every ancestor."""
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            log.info("granting_search_permission", directory=str(directory), user=user)
            directory.chmod(mode | stat.S_IXOTH)


def _initdb(pgdata: Path, user: str | None) -> None:
    if pgdata.exists() and any(pgdata.iterdir()):
        raise EmbeddedStartError(f"{pgdata} is neither empty nor a PostgreSQL data directory")
    # Initialise beside it and rename, so an interrupted initdb never leaves a half cluster.
    staging = pgdata.with_name(pgdata.name + ".initdb")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(mode=0o700)
    _give_to(staging, user)
    command = [str(_bin_dir() / "initdb"), "-D", str(staging), "-U", "postgres"]
    command += ["--auth=trust", "--encoding=UTF8", "--locale=C"]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        user=user,
        group=primary_group(user),
        extra_groups=[] if user else None,
    )
    if result.returncode != 0:
        raise EmbeddedStartError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
    if pgdata.exists():
        pgdata.rmdir()
    staging.rename(pgdata)
    log.info("embedded_postgres_initialised", pgdata=str(pgdata))


def _socket_dir(pgdata: Path, user: str | None) -> Path:
    """The data directory if the socket path fits in sun_path, else a short private one."""
    if len(os.fsencode(pgdata / _SOCKET_NAME)) <= _SUN_PATH_MAX:
        return pgdata
    digest = hashlib.sha256(os.fsencode(pgdata)).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"jietiao-pg-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    info = short.lstat()
    owners = {os.getuid(), pwd.getpwnam(user).pw_uid if user else os.getuid()}
    # A shared temp dir: refuse a directory (or link) someone else planted under our name.
    if stat.S_ISLNK(info.st_mode) or info.st_uid not in owners:
        raise EmbeddedStartError(f"{short} exists and is not ours")
    _give_to(short, user)
    if len(os.fsencode(short / _SOCKET_NAME)) > _SUN_PATH_MAX:
        raise EmbeddedStartError(f"no socket directory short enough for {pgdata}")
    return short


def _give_to(path: Path, user: str | None) -> None:
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)
