"""Starts the service processes and stops every one of them, leaving no orphan behind.

Nothing is restarted automatically: a child that exits on its own is reported, and the runner
then shuts the whole stack down, which keeps failures loud during development.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from shared.logging import get_logger
from shared.stack.process import Child, stop_all

log = get_logger(__name__)


class Supervisor:
    """Owns a set of children; `stop` (or leaving the `with` block) ends them all."""

    def __init__(self, *, grace: float = 10.0) -> None:
        self.grace = grace
        self.children: list[Child] = []

    def spawn(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> Child:
        child = Child(name, argv, env=env, log_path=log_path)
        self.children.append(child)
        log.info("child_started", child=name, pid=child.pid)
        return child

    def first_exited(self) -> Child | None:
        """A child that has exited although nobody asked it to, if any."""
        return next((child for child in self.children if child.has_exited()), None)

    def stop(self) -> None:
        """SIGTERM every group, wait up to `grace` seconds, then SIGKILL every group."""
        children, self.children = self.children, []
        if children:
            log.info("stopping_children", count=len(children), grace=self.grace)
            stop_all(children, self.grace)

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
