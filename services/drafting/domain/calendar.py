"""Calendar arithmetic for legal dates: months and years, never a fixed number of days."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (Jan 31 → Feb 28)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))


def add_years(start: date, years: int) -> date:
    """The same day `years` later; Feb 29 becomes Feb 28 in a common year."""
    return add_months(start, 12 * years)


def whole_months_between(start: date, end: date) -> int | None:
    """n if `end` is `add_months(start, n)` for some n ≥ 1, else None."""
    guess = (end.year - start.year) * 12 + end.month - start.month
    return guess if guess >= 1 and add_months(start, guess) == end else None
