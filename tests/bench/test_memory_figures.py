"""The memory section's figures from a series of RSS samples: peak, slope, table."""

from __future__ import annotations

import pytest

from bench.memory import figures


def test_peak_and_the_slope_over_the_second_half_of_the_steps() -> None:
    series = [(0, 70.0), (20_000, 80.0), (40_000, 82.0), (60_000, 83.0), (80_000, 84.0)]
    shown, table = figures([*series, (-1, 90.0)], 80_000)
    peak, slope = shown
    assert peak.median == 90.0
    assert "4,000 notes" in peak.name
    # from 40,000 to 80,000 events = 2,000 notes' worth: +2 MiB, so 1 MiB per 1,000 notes
    assert slope.median == pytest.approx(1.0)
    assert table[-1] == "| 80,000 | 4,000 | 84.0 |"
