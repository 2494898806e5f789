"""The signed document, its digest, and the commitment to the counterparty's contact.

The document is the JSON structure below; its digest is SHA-256 over its RFC 8785 bytes
(`shared.events.digest`), as hex. It is what the initiator signs:

    {
      "kind": "jietiao.note", "format": 1,
      "note_id": "<uuid>", "note_version": <int>,
      "template": {"kind": "iou", "version": "iou-1", "text": "<template text>"},
      "disclaimer_version": "<version>",
      "initiator": {"party_id": "<uuid>", "role": "lender", "identity_commitment": "<hex>"},
      "counterparty": {"role": "borrower", "contact_commitment": "<hex>"},
      "terms": {<normalised terms, amounts as fen strings>},
      "capitals": {"principal": "壹万元整", ...},
      "rate_check": {<LPR and cap checked against>} | null
    }

The counterparty's display name and phone enter only through `contact_commitment` =
hex SHA-256(RFC 8785({"kind": "jietiao.contact", "display_name", "phone", "salt"})) with a random
32-byte salt. The salt makes the commitment hiding (nobody can test guessed phone numbers
against it) while anyone shown the name, phone and salt (a party, a court) can check it without
any key of ours, which a keyed HMAC would not allow.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from services.drafting.domain.money import capitals
from shared.catalogue.drafting import ContractTerms, IouTerms, RateCheck, ReceiptTerms
from shared.events import digest

DOCUMENT_KIND = "jietiao.note"
DOCUMENT_FORMAT = 1


def contact_commitment(display_name: str, phone: str, salt: bytes) -> str:
    return digest(
        {
            "kind": "jietiao.contact",
            "display_name": display_name,
            "phone": phone,
            "salt": salt.hex(),
        }
    ).hex()


def amount_capitals(terms: IouTerms | ReceiptTerms | ContractTerms) -> dict[str, str]:
    """The capitals of every amount of the terms, keyed by field name."""
    amounts: dict[str, Decimal | None] = (
        {"principal": terms.principal, "delivered_amount": terms.delivered_amount}
        if isinstance(terms, IouTerms)
        else {"amount": terms.amount}
    )
    return {name: capitals(value) for name, value in amounts.items() if value is not None}


def note_document(
    *,
    note_id: uuid.UUID,
    note_version: int,
    template: dict[str, str],
    disclaimer_version: str,
    initiator: dict[str, str],
    counterparty: dict[str, str],
    terms: IouTerms | ReceiptTerms | ContractTerms,
    rate_check: RateCheck | None,
) -> dict[str, Any]:
    return {
        "kind": DOCUMENT_KIND,
        "format": DOCUMENT_FORMAT,
        "note_id": str(note_id),
        "note_version": note_version,
        "template": template,
        "disclaimer_version": disclaimer_version,
        "initiator": initiator,
        "counterparty": counterparty,
        "terms": terms.model_dump(mode="json"),
        "capitals": amount_capitals(terms),
        "rate_check": rate_check.model_dump(mode="json") if rate_check else None,
    }


def document_digest(document: dict[str, Any]) -> str:
    return digest(document).hex()
