"""Schedules against independent formulas (numpy-financial) and properties that always hold."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.drafting.domain.calendar import add_months
from services.drafting.domain.rules import checked_terms
from services.drafting.domain.schedule import Instalment, schedule
from shared.catalogue.drafting import IouTerms, RepaymentMethod
from tests.drafting.factories import SHIPPED_LPR, iou

CENT = Decimal("0.01")


def terms_for(principal: str, rate: str, months: int, method: str) -> IouTerms:
    start = date(2026, 1, 31)
    raw = iou(
        principal=Decimal(principal),
        annual_rate_percent=Decimal(rate),
        start_date=start,
        due_date=add_months(start, months),
        repayment_method=method,
    )
    normal, _ = checked_terms(raw, SHIPPED_LPR)
    assert isinstance(normal, IouTerms)
    return normal


def assert_reconciles(rows: list[Instalment], terms: IouTerms) -> None:
    assert sum(r.principal for r in rows) == terms.principal
    assert rows[-1].remaining == 0
    assert rows[-1].due_on == terms.due_date
    balance = terms.principal
    for row in rows:
        balance -= row.principal
        assert row.remaining == balance
        assert row.principal >= 0
        assert row.interest >= 0
        assert row.principal == row.principal.quantize(CENT)
        assert row.interest == row.interest.quantize(CENT)


def test_equal_instalments_match_the_annuity_formula() -> None:
    terms = terms_for("100000.00", "12", 24, "equal_instalment")
    rows = schedule(terms)
    rate, n, p = 0.01, 24, 100000.0
    payment = Decimal(str(round(float(-npf.pmt(rate, n, p)), 2)))
    assert [r.payment for r in rows[:-1]] == [payment] * (n - 1)
    for k, row in enumerate(rows, start=1):
        assert float(row.interest) == pytest.approx(-npf.ipmt(rate, k, n, p), abs=0.01 * k)
        assert float(row.principal) == pytest.approx(-npf.ppmt(rate, k, n, p), abs=0.01 * k)
    assert abs(rows[-1].payment - payment) <= CENT * n
    assert_reconciles(rows, terms)


def test_equal_instalments_without_interest_split_the_principal() -> None:
    terms = terms_for("1000.00", "0", 3, "equal_instalment")
    rows = schedule(terms)
    assert [r.payment for r in rows] == [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]
    assert_reconciles(rows, terms)


def test_equal_principal_matches_the_declining_balance_formula() -> None:
    terms = terms_for("10000.00", "6", 12, "equal_principal")
    rows = schedule(terms)
    share, rate = 10000.0 / 12, 0.005
    for k, row in enumerate(rows, start=1):
        assert float(row.principal) == pytest.approx(share, abs=0.01 * k)
        assert float(row.interest) == pytest.approx((10000.0 - (k - 1) * share) * rate, abs=0.01)
    assert [r.principal for r in rows[:-1]] == [Decimal("833.33")] * 11
    assert rows[-1].principal == Decimal("833.37")
    assert_reconciles(rows, terms)


def test_monthly_interest_pays_the_principal_at_maturity() -> None:
    terms = terms_for("50000.00", "9", 6, "monthly_interest")
    rows = schedule(terms)
    monthly = -npf.ipmt(0.0075, 1, 6, 50000.0, fv=-50000.0)  # interest-only: fv pays it back
    assert [r.interest for r in rows] == [Decimal(str(round(monthly, 2)))] * 6
    assert [r.principal for r in rows] == [Decimal("0.00")] * 5 + [Decimal("50000.00")]
    assert [r.due_on for r in rows][:2] == [date(2026, 2, 28), date(2026, 3, 31)]
    assert_reconciles(rows, terms)


def test_bullet_charges_simple_interest_on_actual_days_over_365() -> None:
    start = date(2026, 3, 1)
    terms, _ = checked_terms(
        iou(start_date=start, due_date=start + timedelta(days=200), repayment_method="bullet"),
        SHIPPED_LPR,
    )
    assert isinstance(terms, IouTerms)
    [row] = schedule(terms)
    oracle = float(npf.fv(0.06 * 200 / 365, 1, 0, -10000.0)) - 10000.0
    assert float(row.interest) == pytest.approx(oracle, abs=0.005)
    assert row.interest == Decimal("328.77")  # 10,000 × 6 % × 200 / 365 = 328.767… half up
    assert_reconciles([row], terms)


@settings(max_examples=200, deadline=None)
@given(
    fen=st.integers(min_value=1, max_value=10_000_000),
    rate=st.integers(min_value=0, max_value=120_000).map(lambda r: Decimal(r) / 10_000),
    months=st.integers(min_value=1, max_value=24),
    method=st.sampled_from(list(RepaymentMethod)),
)
def test_instalments_always_sum_to_the_principal(
    fen: int, rate: Decimal, months: int, method: RepaymentMethod
) -> None:
    terms = terms_for(str(Decimal(fen) / 100), str(rate), months, method.value)
    rows = schedule(terms)
    assert_reconciles(rows, terms)
    assert len(rows) == (1 if method is RepaymentMethod.BULLET else months)
