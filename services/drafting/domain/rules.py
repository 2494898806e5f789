"""The template and lending rules. Each check returns the refusals it finds, each naming its field.

`problems()` lists every refusal (for live form validation); `checked_terms()` raises the first one
or returns the terms normalised for the document: amounts quantised to the fen, rates to four
decimal places, text stripped, an unstated rate as 0 (Civil Code art. 680: no interest agreed
means no interest) and an unstated delivered amount as the principal.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from services.drafting.domain.calendar import add_years, whole_months_between
from services.drafting.domain.errors import InvalidTerms
from services.drafting.domain.lpr import LprTable, rate_check
from services.drafting.domain.money import FEN, has_fen_precision
from shared.catalogue.drafting import (
    ContractTerms,
    IouTerms,
    RateCheck,
    ReceiptTerms,
    RepaymentMethod,
)

IOU_PRINCIPAL_LIMIT = Decimal("100000.00")
OTHER_AMOUNT_LIMIT = Decimal("100000000.00")
MAX_TERM_YEARS = 2
RATE_QUANTUM = Decimal("0.0001")
MONTHLY_METHODS = frozenset(
    {
        RepaymentMethod.MONTHLY_INTEREST,
        RepaymentMethod.EQUAL_INSTALMENT,
        RepaymentMethod.EQUAL_PRINCIPAL,
    }
)

Terms = IouTerms | ReceiptTerms | ContractTerms
Problems = list[InvalidTerms]


def _refuse(field: str, rule: str, en: str, zh: str) -> InvalidTerms:
    return InvalidTerms(field, rule, en, zh)


def _text(field: str, value: str, limit: int, *, required: bool) -> Problems:
    if required and not value.strip():
        return [_refuse(field, "required", f"{field} is required", f"{field} 为必填项")]
    if len(value.strip()) > limit:
        return [
            _refuse(
                field,
                "too_long",
                f"{field} has more than {limit} characters",
                f"{field} 不得超过{limit}个字",
            )
        ]
    return []


def _amount(field: str, amount: Decimal, limit: Decimal) -> Problems:
    if not amount.is_finite() or amount <= 0:
        return [_refuse(field, "not_positive", f"{field} must be above 0", f"{field} 必须大于0")]
    if not has_fen_precision(amount):
        return [
            _refuse(
                field,
                "fen_precision",
                f"{field} has more than 2 decimal places",
                f"{field} 最多保留两位小数（精确到分）",
            )
        ]
    if amount > limit:
        return [
            _refuse(
                field,
                "above_limit",
                f"{field} must be at most {limit:,} CNY",
                f"{field} 不得超过人民币{limit:,}元",
            )
        ]
    return []


def _term(terms: IouTerms) -> Problems:
    if terms.due_date <= terms.start_date:
        return [
            _refuse(
                "due_date",
                "not_after_start",
                "the due date must be after the start date",
                "还款日必须晚于起始日",
            )
        ]
    if terms.due_date > add_years(terms.start_date, MAX_TERM_YEARS):
        return [
            _refuse(
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
            _refuse(
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
        return [_refuse(field, "negative", "the rate must be 0 or more", "年利率不得为负")]
    if rate != rate.quantize(RATE_QUANTUM):
        return [
            _refuse(
                field,
                "rate_precision",
                "the rate has more than 4 decimal places",
                "年利率最多保留四位小数",
            )
        ]
    if check is not None and rate > check.cap_percent:
        return [
            _refuse(
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
        _refuse(
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
    found += _amount("principal", terms.principal, IOU_PRINCIPAL_LIMIT)
    found += _term(terms)
    found += _rate(terms.annual_rate_percent, check)
    found += _delivery(terms)
    found += _text("purpose", terms.purpose, 100, required=True)
    found += _text("remarks", terms.remarks, 500, required=False)
    return check, found


def receipt_problems(terms: ReceiptTerms) -> Problems:
    found: Problems = []
    if terms.amount is None and not terms.item_description.strip():
        found.append(
            _refuse(
                "amount",
                "amount_or_item_required",
                "a receipt needs an amount or a description of the goods",
                "收据须填写金额或物品描述",
            )
        )
    if terms.amount is not None:
        found += _amount("amount", terms.amount, OTHER_AMOUNT_LIMIT)
    found += _text("item_description", terms.item_description, 500, required=False)
    found += _text("reason", terms.reason, 200, required=True)
    return found


def contract_problems(terms: ContractTerms) -> Problems:
    found = _text("title", terms.title, 100, required=True)
    found += _text("terms_text", terms.terms_text, 5000, required=True)
    if terms.amount is not None:
        found += _amount("amount", terms.amount, OTHER_AMOUNT_LIMIT)
    if terms.start_date and terms.end_date and terms.end_date < terms.start_date:
        found.append(
            _refuse(
                "end_date",
                "before_start",
                "the end date is before the start date",
                "结束日期早于开始日期",
            )
        )
    return found


def problems(terms: Terms, table: LprTable) -> tuple[RateCheck | None, Problems]:
    """Every refusal of these terms, and the rate check when the terms are an IOU's."""
    if isinstance(terms, IouTerms):
        return iou_problems(terms, table)
    if isinstance(terms, ReceiptTerms):
        return None, receipt_problems(terms)
    return None, contract_problems(terms)


def _normalised(terms: Terms) -> Terms:
    normalise: dict[type[Terms], Callable[[Terms], dict[str, object]]] = {
        IouTerms: _iou_fields,
        ReceiptTerms: lambda t: _stripped(t, "item_description", "reason", money=("amount",)),
        ContractTerms: lambda t: _stripped(t, "title", "terms_text", money=("amount",)),
    }
    return terms.model_copy(update=normalise[type(terms)](terms))


def _stripped(terms: Terms, *texts: str, money: tuple[str, ...]) -> dict[str, object]:
    update: dict[str, object] = {name: str(getattr(terms, name)).strip() for name in texts}
    for name in money:
        value = getattr(terms, name)
        update[name] = value if value is None else value.quantize(FEN)
    return update


def _iou_fields(terms: Terms) -> dict[str, object]:
    assert isinstance(terms, IouTerms)
    principal = terms.principal.quantize(FEN)
    rate = terms.annual_rate_percent or Decimal(0)
    return {
        **_stripped(terms, "purpose", "remarks", money=()),
        "principal": principal,
        "annual_rate_percent": rate.quantize(RATE_QUANTUM),
        "delivered_amount": principal,
    }


def checked_terms(terms: Terms, table: LprTable) -> tuple[Terms, RateCheck | None]:
    """The normalised terms and their rate check, or the first refusal raised."""
    check, found = problems(terms, table)
    if found:
        raise found[0]
    return _normalised(terms), check
