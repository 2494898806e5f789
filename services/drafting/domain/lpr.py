"""The one-year LPR history and the legal rate cap it implies.

The SPC private-lending provisions (2020, art. 25) leave unsupported any rate above four times
the one-year LPR in force when the contract is formed; the product also caps at 12 %. So the cap
is min(12 %, 4 × LPR on the start date), and it falls with the LPR.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.drafting.domain.errors import InvalidTerms
from shared.catalogue.drafting import RateCheck

PRODUCT_RATE_CAP_PERCENT = Decimal("12")
LPR_MULTIPLE = 4


@dataclass(frozen=True)
class LprRate:
    effective_from: date
    percent: Decimal


@dataclass(frozen=True)
class LprTable:
    version: str
    rates: tuple[LprRate, ...]  # ascending by effective_from

    def in_force_on(self, day: date) -> LprRate | None:
        current = None
        for rate in self.rates:
            if rate.effective_from > day:
                break
            current = rate
        return current


def parse_lpr_table(text: str) -> LprTable:
    """Parse the shipped CSV: `# version: X` comment, a header, then `YYYY-MM-DD,percent` rows."""
    version, rates = "", []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("# version:"):
            version = line.removeprefix("# version:").strip()
        if not line or line.startswith("#") or line.startswith("effective_from"):
            continue
        day, percent = line.split(",")
        rates.append(LprRate(date.fromisoformat(day), Decimal(percent)))
    if not version or not rates:
        raise ValueError("LPR table needs a version and at least one rate")
    rates.sort(key=lambda r: r.effective_from)
    return LprTable(version, tuple(rates))


def rate_check(table: LprTable, start: date) -> RateCheck:
    lpr = table.in_force_on(start)
    if lpr is None:
        raise InvalidTerms(
            "start_date",
            "lpr_unknown",
            f"no one-year LPR is known for {start.isoformat()} (history starts "
            f"{table.rates[0].effective_from.isoformat()})",
            f"起始日 {start.isoformat()} 早于LPR记录的起点，无法核定利率上限",
        )
    cap = min(PRODUCT_RATE_CAP_PERCENT, LPR_MULTIPLE * lpr.percent)
    return RateCheck(
        lpr_percent=lpr.percent,
        lpr_effective_from=lpr.effective_from,
        lpr_table_version=table.version,
        cap_percent=cap,
    )
