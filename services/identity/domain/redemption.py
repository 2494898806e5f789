"""What a ticket must match to be redeemed; single use is the store's job (a unique row)."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

from services.identity.domain.errors import Refusal
from services.identity.domain.tickets import TicketClaims
from shared.catalogue.identity import TicketPurpose


@dataclass(frozen=True)
class RedemptionRequest:
    party_id: uuid.UUID
    note_id: uuid.UUID
    document_digest: str
    purpose: TicketPurpose


_MISMATCHES = (
    ("party_id", "ticket_wrong_party", "the ticket is for another party", "签署凭证不属于该用户"),
    ("note_id", "ticket_wrong_note", "the ticket is for another note", "签署凭证不属于该借条"),
    (
        "document_digest",
        "ticket_wrong_digest",
        "the ticket is for another version of the document",
        "签署凭证对应的文件版本不同",
    ),
    ("purpose", "ticket_wrong_purpose", "the ticket is for another action", "签署凭证用途不符"),
)


def refuse_unless_redeemable(
    claims: TicketClaims, request: RedemptionRequest, now: datetime
) -> None:
    for attribute, code, message, message_zh in _MISMATCHES:
        if getattr(claims, attribute) != getattr(request, attribute):
            raise Refusal(code, message, message_zh, field=attribute)
    if now >= claims.expires_at:
        raise Refusal(
            "ticket_expired", "the signing ticket has expired: verify again",
            message_zh="签署凭证已过期，请重新验证身份", field="ticket",
        )  # fmt: skip


def replayed() -> Refusal:
    return Refusal(
        "ticket_replayed", "the signing ticket has already been used",
        message_zh="签署凭证已被使用", field="ticket",
    )  # fmt: skip


def refuse_unless_identity(expected: str, verified: str | None) -> None:
    """The caller names the identity it holds for the party (the commitment a note was frozen
    with); a party not verified, or verified as another identity, cannot spend a ticket on it."""
    if verified is None or not hmac.compare_digest(expected.encode(), verified.encode()):
        raise Refusal(
            "identity_mismatch", "the signer's verified identity is not the one on the note",
            message_zh="签署人的实名身份与借条上的不一致", field="party_id",
        )  # fmt: skip
