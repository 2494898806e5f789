"""Repayment schedules in `Decimal`, to the fen.

Rounding rule: every interest amount and the level payment of 等额本息 is rounded half up to the
fen; the principal parts of 等额本金 are rounded down. The last instalment takes whatever
principal remains, so the principal column always sums to the principal exactly and the remaining
balance ends at 0.00.

Periods:
- bullet (到期一次性还本付息): one instalment on the due date; interest is simple, actual/365:
  principal × rate × days / 365.
- monthly methods: instalment k falls on start + k months (month-end clamped, counted from the
  start date, not chained), and the due date is the last of them (see `rules`); the monthly rate is
  annual / 12.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal, localcontext

from services.drafting.domain.calendar import add_months, whole_months_between
from services.drafting.domain.money import FEN, to_fen
from shared.catalogue.drafting import IouTerms, RepaymentMethod

DAYS_PER_YEAR = Decimal(365)
MONTHS_PER_YEAR = Decimal(12)


@dataclass(frozen=True)
class Instalment:
    number: int
    due_on: date
    principal: Decimal
    interest: Decimal
    remaining: Decimal  # principal still owed after this instalment

    @property
    def payment(self) -> Decimal:
        return self.principal + self.interest


def _annual(terms: IouTerms) -> Decimal:
    return (terms.annual_rate_percent or Decimal(0)) / 100


def _periods(terms: IouTerms) -> list[date]:
    months = whole_months_between(terms.start_date, terms.due_date)
    if months is None:
        raise ValueError("monthly schedules need the due date on a monthly anniversary")
    return [add_months(terms.start_date, k) for k in range(1, months + 1)]


def bullet(terms: IouTerms) -> list[Instalment]:
    days = (terms.due_date - terms.start_date).days
    interest = to_fen(terms.principal * _annual(terms) * days / DAYS_PER_YEAR)
    return [Instalment(1, terms.due_date, terms.principal, interest, Decimal("0.00"))]


def monthly_interest(terms: IouTerms) -> list[Instalment]:
    dates = _periods(terms)
    interest = to_fen(terms.principal * _annual(terms) / MONTHS_PER_YEAR)
    zero = Decimal("0.00")
    return [
        Instalment(
            k,
            day,
            terms.principal if k == len(dates) else zero,
            interest,
            zero if k == len(dates) else terms.principal,
        )
        for k, day in enumerate(dates, start=1)
    ]


def level_payment(principal: Decimal, monthly_rate: Decimal, periods: int) -> Decimal:
    """The annuity payment P·r(1+r)^n / ((1+r)^n − 1), rounded half up to the fen."""
    if monthly_rate == 0:
        return to_fen(principal / periods)
    with localcontext() as context:
        context.prec = 40
        growth = (1 + monthly_rate) ** periods
        return to_fen(principal * monthly_rate * growth / (growth - 1))


def equal_instalment(terms: IouTerms) -> list[Instalment]:
    dates = _periods(terms)
    rate = _annual(terms) / MONTHS_PER_YEAR
    payment = level_payment(terms.principal, rate, len(dates))
    remaining, rows = terms.principal, []
    for k, day in enumerate(dates, start=1):
        interest = to_fen(remaining * rate)
        # The level payment never goes below the interest for a positive rate, so principal ≥ 0.
        part = remaining if k == len(dates) else min(payment - interest, remaining)
        remaining -= part
        rows.append(Instalment(k, day, part, interest, remaining))
    return rows


def equal_principal(terms: IouTerms) -> list[Instalment]:
    dates = _periods(terms)
    rate = _annual(terms) / MONTHS_PER_YEAR
    share = (terms.principal / len(dates)).quantize(FEN, rounding=ROUND_DOWN)
    remaining, rows = terms.principal, []
    for k, day in enumerate(dates, start=1):
        interest = to_fen(remaining * rate)
        part = remaining if k == len(dates) else share
        remaining -= part
        rows.append(Instalment(k, day, part, interest, remaining))
    return rows


_METHODS = {
    RepaymentMethod.BULLET: bullet,
    RepaymentMethod.MONTHLY_INTEREST: monthly_interest,
    RepaymentMethod.EQUAL_INSTALMENT: equal_instalment,
    RepaymentMethod.EQUAL_PRINCIPAL: equal_principal,
}


def schedule(terms: IouTerms) -> list[Instalment]:
    """The full schedule of valid IOU terms (see `rules.checked_terms`)."""
    return _METHODS[terms.repayment_method](terms)
