"""Rules of the templates (an IOU's lending rules are in `lending`): refusals name their field.

`problems()` lists every refusal (for live form validation); `checked_terms()` raises the first one
or returns the terms normalised for the document: amounts quantised to the fen, rates to four
decimal places, text stripped, an unstated rate as 0 (Civil Code art. 680: no interest agreed
means no interest) and an unstated delivered amount as the principal.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from services.drafting.domain.field_checks import Problems, amount_problems, refuse, text_problems
from services.drafting.domain.lending import RATE_QUANTUM, iou_problems
from services.drafting.domain.lpr import LprTable
from services.drafting.domain.money import FEN
from shared.catalogue.drafting import ContractTerms, IouTerms, RateCheck, ReceiptTerms

OTHER_AMOUNT_LIMIT = Decimal("100000000.00")

Terms = IouTerms | ReceiptTerms | ContractTerms


def receipt_problems(terms: ReceiptTerms) -> Problems:
    found: Problems = []
    if terms.amount is None and not terms.item_description.strip():
        found.append(
            refuse(
                "amount",
                "amount_or_item_required",
                "a receipt needs an amount or a description of the goods",
                "收据须填写金额或物品描述",
            )
        )
    if terms.amount is not None:
        found += amount_problems("amount", terms.amount, OTHER_AMOUNT_LIMIT)
    found += text_problems("item_description", terms.item_description, 500, required=False)
    found += text_problems("reason", terms.reason, 200, required=True)
    return found


def contract_problems(terms: ContractTerms) -> Problems:
    found = text_problems("title", terms.title, 100, required=True)
    found += text_problems("terms_text", terms.terms_text, 5000, required=True)
    if terms.amount is not None:
        found += amount_problems("amount", terms.amount, OTHER_AMOUNT_LIMIT)
    if terms.start_date and terms.end_date and terms.end_date < terms.start_date:
        found.append(
            refuse(
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
