"""Where the time goes: pyinstrument around a coroutine, condensed to the functions that spend
the most time themselves (self time), for the results file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable
from typing import Any, TypeVar

from pyinstrument import Profiler

T = TypeVar("T")


def _where(path: str | None, parent: str) -> str:
    """Our code by module, a library by its package; synthetic frames count for their caller."""
    if not path or path.startswith("<"):
        return parent
    if path.startswith(("services/", "shared/", "bench/")):
        return path.removesuffix(".py").replace("/", ".")
    return path.split("/", 1)[0].removesuffix(".py")


def _walk(frame: Any, totals: Counter[str], parent: str = "?") -> None:
    where = _where(frame.file_path_short, parent)
    if where == "selectors":
        where = "idle (waiting in select)"
    elif where == "asyncio":
        where = "asyncio (event loop, socket send/recv)"
    totals[where] += frame.total_self_time
    for child in frame.children:
        _walk(child, totals, where)


async def profiled(work: Awaitable[T], top: int = 8) -> tuple[T, list[str]]:
    """`work`'s result, and its `top` modules or packages by self time as "share% where"."""
    # The whole thread, every task: in-process services' work is what we are after.
    profiler = Profiler(async_mode="disabled")
    profiler.start()
    try:
        result = await work
    finally:
        profiler.stop()
    root = profiler.last_session.root_frame() if profiler.last_session else None
    if root is None:
        return result, []
    totals: Counter[str] = Counter()
    _walk(root, totals)
    whole = sum(totals.values()) or 1.0
    return result, [f"{100 * t / whole:.0f}% {where}" for where, t in totals.most_common(top)]
