"""Freed heap pages go back to the system: without it a service's RSS creeps while what it
uses stays flat (identity's did, ~1 MiB per 1,000 notes)."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from shared import memory

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or memory._malloc_trim() is None, reason="glibc's malloc_trim"
)


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_free_pages_inside_the_heap_go_back_to_the_system() -> None:
    # 80 MiB of small blocks (malloc's heap, not mmap), then all but every 32nd freed: the one
    # kept at the top holds the heap's end, so `free` alone gives back nothing.
    byte = b"x"  # a name, not a literal: `b"x" * 2048` would be one folded constant
    blocks = [byte * 2048 for _ in range(40_000)]
    kept = blocks[31::32]
    del blocks
    before = _rss_mib()
    assert memory.release_free_memory()
    after = _rss_mib()
    assert before - after > 40, (before, after)
    assert len(kept) == 1250  # still held: only the free pages went


async def test_the_periodic_release_runs_until_the_service_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[float] = []
    third = asyncio.Event()

    def release() -> bool:
        calls.append(0.0)
        if len(calls) == 3:
            third.set()
        return True

    monkeypatch.setattr(memory, "release_free_memory", release)
    stopping = asyncio.Event()
    task = asyncio.create_task(memory.release_free_memory_every(0.01, stopping))
    await asyncio.wait_for(third.wait(), 5.0)
    stopping.set()
    await asyncio.wait_for(task, 1.0)
    seen = len(calls)
    await asyncio.sleep(0.05)
    assert len(calls) == seen  # nothing after the stop
