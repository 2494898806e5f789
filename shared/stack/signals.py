"""SIGINT and SIGTERM as a request to stop, which the runner polls and then honours in order."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        # Only a flag: raising here (KeyboardInterrupt) could cut a shutdown in half.
        self.signum = signum


@contextlib.contextmanager
def catch_stop_signals() -> Iterator[StopRequest]:
    stop = StopRequest()
    previous = {signum: signal.signal(signum, stop._handle) for signum in _STOP_SIGNALS}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
