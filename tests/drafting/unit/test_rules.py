"""Every template and lending rule at and across its boundary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.drafting.domain.errors import InvalidTerms
from services.drafting.domain.lpr import rate_check
from services.drafting.domain.money import has_fen_precision
from services.drafting.domain.rules import Terms, checked_terms, problems
from services.drafting.views import preview
from tests.drafting.factories import SHIPPED_LPR, contract, iou, lpr_table, receipt


def refusal(terms: Terms, table: Any = SHIPPED_LPR) -> tuple[str | None, str]:
    with pytest.raises(InvalidTerms) as refused:
        checked_terms(terms, table)
    assert refused.value.message_zh
    assert refused.value.message_en
    return refused.value.field, refused.value.rule


def accepted(terms: Terms, table: Any = SHIPPED_LPR) -> Terms:
    normal, _ = checked_terms(terms, table)
    return normal


@pytest.mark.parametrize("principal", ["0.01", "1", "99999.99", "100000.00", "100000"])
def test_principal_up_to_one_hundred_thousand_is_accepted(principal: str) -> None:
    assert accepted(iou(principal=Decimal(principal)))


@pytest.mark.parametrize(
    ("principal", "rule"),
    [
        ("100000.01", "above_limit"),
        ("100001", "above_limit"),
        ("0", "not_positive"),
        ("0.00", "not_positive"),
        ("-1", "not_positive"),
        ("10.001", "fen_precision"),
        ("0.005", "fen_precision"),
    ],
)
def test_principal_out_of_range_or_finer_than_a_fen_is_refused(principal: str, rule: str) -> None:
    assert refusal(iou(principal=Decimal(principal), delivered_amount=None)) == ("principal", rule)


def test_principal_is_normalised_to_the_fen_for_the_document() -> None:
    normal = accepted(iou(principal=Decimal("1E+4")))
    assert str(normal.principal) == "10000.00"  # type: ignore[union-attr]


@pytest.mark.parametrize("rate", ["0", "11.9999", "12", "12.0000"])
def test_rates_up_to_twelve_percent_are_accepted(rate: str) -> None:
    assert accepted(iou(annual_rate_percent=Decimal(rate)))


@pytest.mark.parametrize(
    ("rate", "rule"),
    [
        ("12.0001", "above_cap"),
        ("24", "above_cap"),
        ("-0.0001", "negative"),
        ("6.00001", "rate_precision"),
    ],
)
def test_rates_above_twelve_percent_or_negative_are_refused(rate: str, rule: str) -> None:
    assert refusal(iou(annual_rate_percent=Decimal(rate))) == ("annual_rate_percent", rule)


def test_no_stated_rate_means_zero() -> None:
    normal = accepted(iou(annual_rate_percent=None))
    assert normal.annual_rate_percent == Decimal("0.0000")  # type: ignore[union-attr]


def test_an_lpr_below_three_percent_lowers_the_cap_to_four_times_it() -> None:
    table = lpr_table(("2019-08-20", "4.25"), ("2026-02-20", "2.90"))
    assert rate_check(table, date(2026, 3, 1)).cap_percent == Decimal("11.60")
    assert accepted(iou(annual_rate_percent=Decimal("11.6")), table)
    assert refusal(iou(annual_rate_percent=Decimal("11.6001")), table) == (
        "annual_rate_percent",
        "above_cap",
    )
    # The day before the cut the old LPR (4 × 4.25 = 17 %) is in force, so the product cap holds.
    before = iou(start_date=date(2026, 2, 19), due_date=date(2026, 8, 19))
    assert accepted(before.model_copy(update={"annual_rate_percent": Decimal("12")}), table)


def test_the_shipped_lpr_history_has_three_percent_since_2025_05_20() -> None:
    assert rate_check(SHIPPED_LPR, date(2025, 5, 20)).lpr_percent == Decimal("3.00")
    assert rate_check(SHIPPED_LPR, date(2025, 5, 19)).lpr_percent == Decimal("3.10")
    check = rate_check(SHIPPED_LPR, date(2026, 3, 1))
    assert (check.cap_percent, check.lpr_effective_from) == (Decimal("12.00"), date(2025, 5, 20))
    assert check.lpr_table_version == SHIPPED_LPR.version


def test_a_start_date_before_the_lpr_history_is_refused() -> None:
    terms = iou(start_date=date(2019, 8, 19), due_date=date(2020, 8, 19))
    assert refusal(terms) == ("start_date", "lpr_unknown")


def test_the_rate_check_is_returned_with_the_terms() -> None:
    _, check = checked_terms(iou(), SHIPPED_LPR)
    assert check is not None
    assert check.lpr_percent == Decimal("3.00")


@pytest.mark.parametrize(
    ("start", "due", "ok"),
    [
        ("2024-02-29", "2026-02-28", True),  # two calendar years from Feb 29 ends on Feb 28
        ("2024-02-29", "2026-03-01", False),
        ("2026-02-28", "2028-02-28", True),
        ("2026-02-28", "2028-02-29", False),  # 730 days would allow it; the calendar does not
        ("2026-03-01", "2028-03-01", True),
        ("2026-03-01", "2028-03-02", False),
    ],
)
def test_the_term_is_at_most_two_calendar_years(start: str, due: str, ok: bool) -> None:
    terms = iou(
        start_date=date.fromisoformat(start),
        due_date=date.fromisoformat(due),
        repayment_method="bullet",
    )
    if ok:
        assert accepted(terms)
    else:
        assert refusal(terms) == ("due_date", "term_too_long")


@pytest.mark.parametrize("due", ["2026-03-01", "2026-02-28"])
def test_the_due_date_must_be_after_the_start_date(due: str) -> None:
    terms = iou(due_date=date.fromisoformat(due), repayment_method="bullet")
    assert refusal(terms) == ("due_date", "not_after_start")


def test_a_one_day_loan_is_accepted() -> None:
    assert accepted(iou(due_date=date(2026, 3, 2), repayment_method="bullet"))


def test_monthly_methods_need_the_due_date_on_a_monthly_anniversary() -> None:
    assert accepted(iou(start_date=date(2026, 1, 31), due_date=date(2026, 2, 28)))
    terms = iou(due_date=date(2027, 3, 2), repayment_method="equal_principal")
    assert refusal(terms) == ("due_date", "not_monthly_anniversary")


def test_interest_deducted_in_advance_is_refused() -> None:
    short = iou(principal=Decimal("10000"), delivered_amount=Decimal("9400"))
    assert refusal(short) == ("delivered_amount", "interest_deducted_in_advance")
    assert accepted(iou(principal=Decimal("10000"), delivered_amount=Decimal("10000.00")))


def test_an_unstated_delivered_amount_is_the_principal() -> None:
    normal = accepted(iou(delivered_amount=None))
    assert normal.delivered_amount == Decimal("10000.00")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"purpose": "  "}, "purpose", "required"),
        ({"purpose": "x" * 101}, "purpose", "too_long"),
        ({"remarks": "x" * 501}, "remarks", "too_long"),
    ],
)
def test_iou_texts_are_bounded(overrides: dict[str, Any], field: str, rule: str) -> None:
    assert refusal(iou(**overrides)) == (field, rule)
    assert accepted(iou(purpose="x" * 100, remarks="y" * 500))


def test_preview_lists_every_problem_at_once() -> None:
    terms = iou(principal=Decimal("100000.01"), annual_rate_percent=Decimal("13"), purpose="")
    _, found = problems(terms, SHIPPED_LPR)
    assert {(p.field, p.rule) for p in found} == {
        ("principal", "above_limit"),
        ("annual_rate_percent", "above_cap"),
        ("purpose", "required"),
    }


def test_receipt_rules() -> None:
    assert accepted(receipt())
    assert accepted(receipt(amount=None, item_description="笔记本电脑一台"))
    assert refusal(receipt(amount=None)) == ("amount", "amount_or_item_required")
    assert refusal(receipt(amount=Decimal("0"))) == ("amount", "not_positive")
    assert refusal(receipt(amount=Decimal("1.234"))) == ("amount", "fen_precision")
    assert refusal(receipt(reason="")) == ("reason", "required")


def test_contract_rules() -> None:
    assert accepted(contract(amount=None))
    assert refusal(contract(title="")) == ("title", "required")
    assert refusal(contract(terms_text="x" * 5001)) == ("terms_text", "too_long")
    assert accepted(contract(terms_text="x" * 5000))
    wrong_way = contract(start_date=date(2026, 3, 2), end_date=date(2026, 3, 1))
    assert refusal(wrong_way) == ("end_date", "before_start")
    assert refusal(contract(amount=Decimal("100000000.01"))) == ("amount", "above_limit")


@given(fen=st.integers(min_value=-1_000, max_value=20_000_000))
def test_any_principal_in_fen_is_accepted_exactly_up_to_the_limit(fen: int) -> None:
    principal = Decimal(fen) / 100
    _, found = problems(iou(principal=principal), SHIPPED_LPR)
    refused = {p.rule for p in found if p.field == "principal"}
    if Decimal("0") < principal <= Decimal("100000"):
        assert refused == set()
    else:
        assert refused == {"not_positive" if principal <= 0 else "above_limit"}


@given(
    lpr=st.integers(min_value=100, max_value=600).map(lambda b: Decimal(b) / 100),
    rate=st.integers(min_value=0, max_value=2_000_000).map(lambda r: Decimal(r) / 10_000),
)
def test_the_cap_is_the_lower_of_twelve_percent_and_four_lprs(lpr: Decimal, rate: Decimal) -> None:
    table = lpr_table(("2019-08-20", str(lpr)))
    _, found = problems(iou(annual_rate_percent=rate), table)
    over = any(p.rule == "above_cap" for p in found)
    assert over == (rate > min(Decimal(12), 4 * lpr))


@pytest.mark.parametrize(
    ("amount", "fen_precise"),
    [("1.50", True), ("1.500", True), ("1.505", False), ("-1.5257232339581945E+301", True)],
)
def test_fen_precision_is_read_off_the_digits(amount: str, fen_precise: bool) -> None:
    assert has_fen_precision(Decimal(amount)) is fen_precise


def test_an_absurd_amount_is_a_problem_to_show_not_a_crash() -> None:
    # Found by the gateway's schemathesis run: quantize overflowed on it.
    result = preview(contract(amount=Decimal("-1.5257232339581945E+301")), SHIPPED_LPR)
    assert not result.valid
    assert result.capitals == {}
