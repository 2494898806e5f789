"""Request and result models of drafting's commands (see the module docstring of `app`).

`actor_party_id` is the party the gateway authenticated; drafting trusts it and checks what that
party may do with the note.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.catalogue.drafting import CancelReason, NoteTerms, RateCheck, Template
from shared.commands import CommandModel


class ContactIn(CommandModel):
    display_name: str
    phone: str


class DraftNote(CommandModel):
    actor_party_id: uuid.UUID
    # Set it to make retries safe: a second draft with the same id is refused (`note_exists`).
    note_id: uuid.UUID | None = None
    accepted_disclaimer_version: str | None = None
    counterparty: ContactIn
    terms: NoteTerms


class AmendTerms(CommandModel):
    note_id: uuid.UUID
    actor_party_id: uuid.UUID
    terms: NoteTerms


class AmendCounterpartyContact(CommandModel):
    note_id: uuid.UUID
    actor_party_id: uuid.UUID
    counterparty: ContactIn


class NoteCommand(CommandModel):
    """invite_counterparty, reissue_invitation, revoke_invitation, submit_for_signing, get_note."""

    note_id: uuid.UUID
    actor_party_id: uuid.UUID


class CancelNote(NoteCommand):
    reason: CancelReason = "withdrawn"


class AcceptInvitation(CommandModel):
    token: str
    party_id: uuid.UUID


class Preview(CommandModel):
    terms: NoteTerms


class NoteRef(CommandModel):
    note_id: uuid.UUID
    note_version: int
    status: str


class InvitationIssued(CommandModel):
    note_id: uuid.UUID
    # The bearer token, given out once: drafting keeps only its hash.
    token: str
    expires_at: datetime


class Frozen(CommandModel):
    note_id: uuid.UUID
    note_version: int
    document_digest: str
    document: dict[str, Any]


class Problem(CommandModel):
    field: str | None
    rule: str
    message: str
    message_zh: str


class InstalmentOut(CommandModel):
    number: int
    due_on: date
    principal: Decimal
    interest: Decimal
    payment: Decimal
    remaining: Decimal
    payment_capitals: str


class Totals(CommandModel):
    principal: Decimal
    interest: Decimal
    payment: Decimal
    interest_capitals: str
    payment_capitals: str


class PreviewResult(CommandModel):
    valid: bool
    problems: list[Problem]
    capitals: dict[str, str]
    rate_check: RateCheck | None = None
    # True when no interest is agreed: the Civil Code (art. 680) reads that as none at all.
    interest_free: bool | None = None
    schedule: list[InstalmentOut] | None = None
    totals: Totals | None = None


class CounterpartyView(CommandModel):
    role: str
    display_name: str
    phone_masked: str
    joined: bool
    party_id: uuid.UUID | None = None
    masked_id: str | None = None
    name_matches: bool | None = None


class InvitationView(CommandModel):
    expires_at: datetime
    active: bool


class NoteView(CommandModel):
    note_id: uuid.UUID
    status: str
    note_version: int
    template: Template
    template_version: str
    template_text: str
    disclaimer_version: str
    disclaimer_accepted_at: datetime
    initiator_party_id: uuid.UUID
    initiator_role: str
    counterparty: CounterpartyView
    terms: NoteTerms
    preview: PreviewResult
    invitation: InvitationView | None = None
    document_digest: str | None = None
