"""The pinned upper levels: packed, contiguous, refused when a run has a gap, bounded."""

from __future__ import annotations

import pytest

from services.evidence.cache import PinnedLevels


def _node(level: int, number: int) -> bytes:
    return bytes([level]) + number.to_bytes(31, "big")


def _run(level: int, start: int, end: int) -> tuple[int, int, bytes]:
    first = start >> level
    return level, first, b"".join(_node(level, i) for i in range(first, end >> level))


def test_nodes_come_back_from_where_they_were_packed() -> None:
    pinned = PinnedLevels(2, 1 << 20)
    pinned.extend(0, 11, [_run(level, 0, 11) for level in (2, 3)])
    pinned.extend(11, 40, [_run(level, 11, 40) for level in (2, 3, 4, 5)])
    assert [pinned.get(2, i) for i in range(10)] == [_node(2, i) for i in range(10)]
    assert pinned.get(5, 0) == _node(5, 0)
    assert pinned.get(2, 10) is None  # not within the first 40 leaves
    assert pinned.get(1, 0) is None  # below the pinned levels
    assert pinned.nbytes == 32 * (10 + 5 + 2 + 1)


def test_a_run_with_a_gap_or_from_elsewhere_is_refused() -> None:
    pinned = PinnedLevels(2, 1 << 20)
    short = _run(2, 0, 16)
    with pytest.raises(LookupError, match="level 2"):
        pinned.extend(0, 20, [(2, 0, short[2]), _run(3, 0, 20), _run(4, 0, 20)])
    with pytest.raises(ValueError, match="pinned up to 0 leaves"):
        pinned.extend(8, 20, [_run(level, 8, 20) for level in (2, 3, 4)])
    assert pinned.size == 0
    assert pinned.nbytes == 0


def test_fit_lets_the_lowest_levels_go_to_stay_within_the_budget() -> None:
    pinned = PinnedLevels(1, 32 * 100)
    pinned.fit(100)  # 50 + 25 + 12 + 6 + 3 + 1 = 97 nodes from level 1
    assert pinned.lowest == 1
    pinned.fit(1000)  # 119 nodes from level 4 (62 + 31 + 15 + 7 + 3 + 1) are over; 57 are not
    assert pinned.lowest == 5
    assert not PinnedLevels(4, 0).enabled
