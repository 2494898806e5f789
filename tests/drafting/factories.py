"""Valid terms and parties for drafting tests, with overrides for the case at hand."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from services.drafting.domain.lpr import LprRate, LprTable
from services.drafting.domain.parties import PartyFacts
from services.drafting.store import load_lpr_table
from shared.catalogue.drafting import AgeCheck, ContractTerms, IouTerms, ReceiptTerms

SHIPPED_LPR = load_lpr_table()
START = date(2026, 3, 1)


def iou(**overrides: Any) -> IouTerms:
    fields: dict[str, Any] = {
        "initiator_role": "lender",
        "principal": Decimal("10000.00"),
        "purpose": "装修",
        "start_date": START,
        "due_date": date(2027, 3, 1),
        "annual_rate_percent": Decimal("6"),
        "repayment_method": "equal_instalment",
        "delivery_method": "bank_transfer",
    }
    return IouTerms.model_validate({**fields, **overrides})


def receipt(**overrides: Any) -> ReceiptTerms:
    fields: dict[str, Any] = {
        "initiator_role": "payee",
        "amount": Decimal("500.00"),
        "received_on": START,
        "reason": "货款",
    }
    return ReceiptTerms.model_validate({**fields, **overrides})


def contract(**overrides: Any) -> ContractTerms:
    fields: dict[str, Any] = {
        "initiator_role": "party_a",
        "title": "二手自行车买卖",
        "terms_text": "甲方将自行车一辆以人民币800元卖给乙方。",
        "amount": Decimal("800"),
    }
    return ContractTerms.model_validate({**fields, **overrides})


def lpr_table(*rates: tuple[str, str]) -> LprTable:
    return LprTable("test", tuple(LprRate(date.fromisoformat(day), Decimal(p)) for day, p in rates))


def party(
    *, eligible: bool = True, reason: str | None = None, on: date = START, verified: bool = True
) -> PartyFacts:
    party_id = uuid.uuid4()
    check = AgeCheck.model_validate(
        {"party_id": party_id, "on": on, "eligible": eligible, "reason": reason}
    )
    return PartyFacts(party_id, verified, "ab" * 32 if verified else None, check)
