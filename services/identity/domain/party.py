"""The party aggregate: what the event stream says about a person, and the decisions on it.

Commands are functions from the current state to new events; `fold` projects events into state.
Personal data is not part of this state: it stays in the vault, and here only its commitment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from services.identity.domain.errors import Refusal
from services.identity.domain.tickets import TicketClaims
from shared.catalogue.identity import (
    IdentityRejected,
    IdentityVerified,
    PartyRegistered,
    SigningTicketIssued,
    SigningTicketRedeemed,
)
from shared.events import EventPayload


@dataclass(frozen=True)
class Party:
    registered: bool = False
    verified: bool = False
    commitment: str | None = None
    masked_id: str | None = None
    rejections: int = 0


def apply(party: Party, event: EventPayload) -> Party:
    match event:
        case PartyRegistered():
            return replace(party, registered=True)
        case IdentityVerified(commitment=commitment, masked_id=masked_id):
            return replace(party, verified=True, commitment=commitment, masked_id=masked_id)
        case IdentityRejected():
            return replace(party, rejections=party.rejections + 1)
    return party


def fold(events: Iterable[EventPayload]) -> Party:
    party = Party()
    for event in events:
        party = apply(party, event)
    return party


def register(party: Party) -> list[EventPayload]:
    return [] if party.registered else [PartyRegistered()]


def already_verified() -> Refusal:
    return Refusal(
        "already_verified", "this account has already passed the real-name check",
        message_zh="该账户已完成实名认证",
    )  # fmt: skip


def refuse_if_verified(party: Party) -> None:
    if party.verified:
        raise already_verified()


def record_verification(party: Party, verified: IdentityVerified) -> list[EventPayload]:
    refuse_if_verified(party)
    return [verified]


def record_rejection(reason: str) -> list[EventPayload]:
    return [IdentityRejected(reason=reason)]


def refuse_unless_verified(party: Party) -> None:
    if not party.verified:
        raise Refusal(
            "not_verified", "complete the real-name check first",
            message_zh="请先完成实名认证",
        )  # fmt: skip


def issue_ticket(party: Party, claims: TicketClaims) -> list[EventPayload]:
    refuse_unless_verified(party)
    return [
        SigningTicketIssued(
            ticket_id=claims.ticket_id,
            note_id=claims.note_id,
            document_digest=claims.document_digest,
            purpose=claims.purpose,
            method=claims.method,
            expires_at=claims.expires_at,
        )
    ]


def redeem_ticket(claims: TicketClaims) -> list[EventPayload]:
    return [
        SigningTicketRedeemed(
            ticket_id=claims.ticket_id,
            note_id=claims.note_id,
            document_digest=claims.document_digest,
            purpose=claims.purpose,
        )
    ]
