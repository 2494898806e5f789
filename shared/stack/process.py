"""One child process that cannot outlive its parent, and stopping groups of them without orphans."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from shared.logging import get_logger

log = get_logger(__name__)

_PR_SET_PDEATHSIG = 1


def _death_signal_preexec(sig: signal.Signals) -> Callable[[], None] | None:
    if sys.platform != "linux":
        return None
    # Looked up before the fork: the child should only make the call, not load anything.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sig))
        # The parent may have died between fork and prctl; then no signal would ever come.
        if os.getppid() != parent:
            os._exit(1)

    return preexec


class Child:
    """A process in its own session (so a terminal's Ctrl-C reaches only the parent, which stops
    children in order) that receives `death_signal` if the spawning thread dies, even by SIGKILL.

    Linux sends the death signal when the *thread* that spawned the child exits: spawn from the
    main thread, never from a worker thread. The child is not reaped until `stop`, so its process
    group id cannot be reused and signalling the group stays safe.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        user: str | None = None,
        stop_signal: signal.Signals = signal.SIGTERM,
        stop_whole_group: bool = True,
        death_signal: signal.Signals = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.stop_signal = stop_signal
        self.stop_whole_group = stop_whole_group
        self.log_path = log_path
        output = _open_log(log_path)
        try:
            self.process = subprocess.Popen(
                list(argv),
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT if log_path else None,
                start_new_session=True,
                preexec_fn=_death_signal_preexec(death_signal),
                user=user,
                group=primary_group(user),
                extra_groups=[] if user else None,
            )
        finally:
            if output is not None:
                os.close(output)

    @property
    def pid(self) -> int:
        return self.process.pid

    def has_exited(self) -> bool:
        return self.exit_code() is not None

    def exit_code(self) -> int | None:
        """The exit status once the child has exited (negative: killed by that signal)."""
        if self.process.returncode is not None or not hasattr(os, "waitid"):
            return self.process.poll()
        # WNOWAIT leaves the zombie in place: the group id stays ours until `stop` reaps it.
        info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is None:
            return None
        return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status

    def signal_group(self, sig: signal.Signals) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, sig)

    def stop(self, grace: float = 10.0) -> None:
        stop_all([self], grace)


def stop_all(children: Iterable[Child], grace: float = 10.0) -> None:
    """Send each child its stop signal, wait up to `grace` seconds, then SIGKILL every group."""
    children = list(children)
    for child in children:
        if child.stop_whole_group:
            child.signal_group(child.stop_signal)
        elif child.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, child.stop_signal)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not all(c.has_exited() for c in children):
        time.sleep(0.05)
    for child in children:
        if not child.has_exited():
            log.warning("child_killed_after_grace", child=child.name, pid=child.pid, grace=grace)
        # Also sweeps anything a child left behind in its group after exiting on its own.
        child.signal_group(signal.SIGKILL)
    for child in children:
        child.process.wait()


def tail(path: Path | None, lines: int = 20) -> str:
    """The last lines of a log file, for error messages."""
    if path is None or not path.exists():
        return ""
    with path.open("rb") as file:
        file.seek(max(0, path.stat().st_size - 16_384))
        text = file.read().decode("utf-8", "replace")
    return "\n".join(text.splitlines()[-lines:])


def _open_log(log_path: Path | None) -> int | None:
    if log_path is None:
        return None
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def primary_group(user: str | None) -> int | None:
    """For `Popen(group=...)`: a process switched from root to `user` keeps root's group else."""
    if user is None:
        return None
    import pwd

    return pwd.getpwnam(user).pw_gid
