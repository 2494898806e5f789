"""Giving the heap's free pages back to the operating system, so RSS follows what is in use.

glibc's `free` returns memory to the system only from the top of the heap; pages freed in the
middle stay resident until something else is allocated there. A service answering many short
requests (AES-GCM, HMAC, PNG decoding: native buffers of many sizes) leaves free pages all over
its heap: identity's RSS crept ~1 MiB per 1,000 notes while its memory in use (mallinfo2's
in-use bytes, Python's traced heap) stayed flat, and a periodic `malloc_trim(0)` kept its RSS
flat. Trimming a heap of a few tens of MiB takes well under a millisecond.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import functools
from collections.abc import Callable

TRIM_EVERY = 30.0  # seconds: the creep is slow, and an idle service has nothing to give back


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    # Only glibc has it; elsewhere (musl, macOS) there is nothing to call and nothing to do.
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    with contextlib.suppress(OSError):
        trim: Callable[[int], int] | None = getattr(ctypes.CDLL(name), "malloc_trim", None)
        return trim
    return None


def release_free_memory() -> bool:
    """Give the heap's free pages back to the system; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


async def release_free_memory_every(seconds: float, stopping: asyncio.Event) -> None:
    """`release_free_memory()` every `seconds` until `stopping` is set."""
    if _malloc_trim() is None:
        return
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), seconds)
        if stopping.is_set():
            return
        release_free_memory()
