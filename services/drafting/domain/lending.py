"""The lending rules of an IOU (借条): principal, term, rate cap, no interest taken in advance."""

from __future__ import annotations

from decimal import Decimal

from services.drafting.domain.calendar import add_years, whole_months_between
from services.drafting.domain.errors import InvalidTerms
from services.drafting.domain.field_checks import Problems, amount_problems, refuse, text_problems
from services.drafting.domain.lpr import LprTable, rate_check
from shared.catalogue.drafting import IouTerms, RateCheck, RepaymentMethod

IOU_PRINCIPAL_LIMIT = Decimal("100000.00")
MAX_TERM_YEARS = 2
RATE_QUANTUM = Decimal("0.0001")
MONTHLY_METHODS = frozenset(
    {
        RepaymentMethod.MONTHLY_INTEREST,
        RepaymentMethod.EQUAL_INSTALMENT,
        RepaymentMethod.EQUAL_PRINCIPAL,
    }
)


def _term(terms: IouTerms) -> Problems:
    if terms.due_date <= terms.start_date:
        return [
            refuse(
                "due_date",
                "not_after_start",
                "the due date must be after the start date",
                "还款日必须晚于起始日",
            )
        ]
    if terms.due_date > add_years(terms.start_date, MAX_TERM_YEARS):
        return [
            refuse(
                "due_date",
                "term_too_long",
                f"the term must be at most {MAX_TERM_YEARS} years",
                f"借款期限不得超过{MAX_TERM_YEARS}年",
            )
        ]
    if terms.repayment_method in MONTHLY_METHODS and not whole_months_between(
        terms.start_date, terms.due_date
    ):
        return [
            refuse(
                "due_date",
                "not_monthly_anniversary",
                "with monthly repayment the due date must fall a whole number of months "
                "after the start date",
                "按月还款时，还款日须为起始日之后整月的对应日",
            )
        ]
    return []


def _rate(rate: Decimal | None, check: RateCheck | None) -> Problems:
    if rate is None:
        return []
    field = "annual_rate_percent"
    if not rate.is_finite() or rate < 0:
        return [refuse(field, "negative", "the rate must be 0 or more", "年利率不得为负")]
    if rate != rate.quantize(RATE_QUANTUM):
        return [
            refuse(
                field,
                "rate_precision",
                "the rate has more than 4 decimal places",
                "年利率最多保留四位小数",
            )
        ]
    if check is not None and rate > check.cap_percent:
        return [
            refuse(
                field,
                "above_cap",
                f"the annual rate must be at most {check.cap_percent}% "
                f"(min of 12% and 4 × one-year LPR {check.lpr_percent}%)",
                f"年利率不得超过{check.cap_percent}%"
                f"（12%与4倍一年期LPR {check.lpr_percent}%的较低者）",
            )
        ]
    return []


def _delivery(terms: IouTerms) -> Problems:
    delivered = terms.delivered_amount
    if delivered is None or not delivered.is_finite() or delivered == terms.principal:
        return []
    return [
        refuse(
            "delivered_amount",
            "interest_deducted_in_advance",
            "the amount delivered must equal the principal: interest may not be deducted "
            "in advance (Civil Code art. 670)",
            "实际出借金额必须等于本金，不得预先在本金中扣除利息（民法典第670条）",
        )
    ]


def _lpr(terms: IouTerms, table: LprTable) -> tuple[RateCheck | None, Problems]:
    try:
        return rate_check(table, terms.start_date), []
    except InvalidTerms as refused:
        return None, [refused]


def iou_problems(terms: IouTerms, table: LprTable) -> tuple[RateCheck | None, Problems]:
    check, found = _lpr(terms, table)
    found += amount_problems("principal", terms.principal, IOU_PRINCIPAL_LIMIT)
    found += _term(terms)
    found += _rate(terms.annual_rate_percent, check)
    found += _delivery(terms)
    found += text_problems("purpose", terms.purpose, 100, required=True)
    found += text_problems("remarks", terms.remarks, 500, required=False)
    return check, found
