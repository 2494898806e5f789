"""The note's state, folded from its events.

State machine (commands in `decisions`, `invitations` and `freezing`; folding in `projector`):

    (none) --draft_note--> DRAFT
    DRAFT  --amend_terms / amend_counterparty_contact--> DRAFT      (note_version + 1)
    DRAFT  --submit_for_signing--> FROZEN                        (digest of note_version)
    FROZEN --amend_terms / amend_counterparty_contact--> DRAFT     (note_version + 1: the frozen
                                                                  digest and any signature over it
                                                                  no longer apply)
    FROZEN --PartySigned(note_version, digest)--> LOCKED          (terms can never change again)
    FROZEN --SignatureDeclined(note_version, digest)--> DECLINED  (the note has ended)
    DRAFT | FROZEN --cancel_note--> CANCELLED

Invitations live beside this: while DRAFT or FROZEN and nobody has joined, the initiator may
invite (one active invitation at a time), revoke, or re-issue (which replaces the old token).
Accepting an active, unexpired invitation records the counterparty; freezing needs them joined,
with a verified legal name matching the display name the initiator typed and, for an IOU, both
parties 22–60 years old on the start date.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from shared.catalogue.drafting import (
    AgeCheck,
    ContractTerms,
    IouTerms,
    RateCheck,
    ReceiptTerms,
    Template,
)

COUNTER_ROLE = {
    "lender": "borrower",
    "borrower": "lender",
    "payer": "payee",
    "payee": "payer",
    "party_a": "party_b",
    "party_b": "party_a",
}


class Status(StrEnum):
    DRAFT = "draft"
    FROZEN = "frozen"
    LOCKED = "locked"
    CANCELLED = "cancelled"
    DECLINED = "declined"


@dataclass(frozen=True)
class Invitation:
    token_hash: str
    expires_at: datetime
    revoked: bool = False

    def active(self, now: datetime) -> bool:
        return not self.revoked and now < self.expires_at


@dataclass(frozen=True)
class Counterparty:
    party_id: uuid.UUID
    identity_commitment: str
    name_matches: bool


@dataclass(frozen=True)
class Note:
    note_id: uuid.UUID
    stream_version: int
    note_version: int
    status: Status
    template: Template
    template_version: str
    template_text: str
    disclaimer_version: str
    disclaimer_accepted_at: datetime
    initiator_party_id: uuid.UUID
    initiator_identity_commitment: str
    contact_commitment: str
    terms: IouTerms | ReceiptTerms | ContractTerms
    rate_check: RateCheck | None
    age_checks: dict[uuid.UUID, AgeCheck] = field(default_factory=dict)
    invitation: Invitation | None = None
    counterparty: Counterparty | None = None
    document_digest: str | None = None
    locked_by: uuid.UUID | None = None

    @property
    def initiator_role(self) -> str:
        return self.terms.initiator_role

    @property
    def counterparty_role(self) -> str:
        return COUNTER_ROLE[self.terms.initiator_role]

    @property
    def start_date(self) -> date | None:
        return self.terms.start_date if isinstance(self.terms, IouTerms) else None

    def party_ids(self) -> tuple[uuid.UUID, ...]:
        joined = (self.counterparty.party_id,) if self.counterparty else ()
        return (self.initiator_party_id, *joined)
