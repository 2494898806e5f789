"""The note's state, folded from its events.

State machine (commands in `decisions`):

    (none) --draft_note--> DRAFT
    DRAFT  --amend_terms / amend_counterparty_contact--> DRAFT      (note_version + 1)
    DRAFT  --submit_for_signing--> FROZEN                        (digest of note_version)
    FROZEN --amend_terms / amend_counterparty_contact--> DRAFT     (note_version + 1: the frozen
                                                                  digest and any signature over it
                                                                  no longer apply)
    FROZEN --PartySigned(note_version, digest)--> LOCKED          (terms can never change again)
    DRAFT | FROZEN --cancel_note--> CANCELLED

Invitations live beside this: while DRAFT or FROZEN and nobody has joined, the initiator may
invite (one active invitation at a time), revoke, or re-issue (which replaces the old token).
Accepting an active, unexpired invitation records the counterparty; freezing needs them joined,
with a verified legal name matching the display name the initiator typed and, for an IOU, both
parties 22–60 years old on the start date.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from functools import singledispatch

from shared.catalogue.drafting import (
    AgeCheck,
    ContractTerms,
    CounterpartyContactAmended,
    CounterpartyInvited,
    CounterpartyJoined,
    InvitationRevoked,
    IouTerms,
    NoteCancelled,
    NoteDrafted,
    NoteFrozenForSigning,
    NoteTermsAmended,
    NoteTermsLocked,
    RateCheck,
    ReceiptTerms,
    Template,
)
from shared.events import Envelope, EventPayload

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


def _with_ages(note: Note, checks: Iterable[AgeCheck]) -> dict[uuid.UUID, AgeCheck]:
    return {**note.age_checks, **{c.party_id: c for c in checks}}


@singledispatch
def _apply(payload: EventPayload, note: Note | None, envelope: Envelope) -> Note:
    raise TypeError(f"drafting does not fold {type(payload).__name__}")


@_apply.register
def _drafted(payload: NoteDrafted, _: Note | None, envelope: Envelope) -> Note:
    return Note(
        note_id=envelope.stream_id,
        stream_version=envelope.version,
        note_version=payload.note_version,
        status=Status.DRAFT,
        template=payload.template,
        template_version=payload.template_version,
        template_text=payload.template_text,
        disclaimer_version=payload.disclaimer_version,
        disclaimer_accepted_at=payload.disclaimer_accepted_at,
        initiator_party_id=payload.initiator_party_id,
        initiator_identity_commitment=payload.initiator_identity_commitment,
        contact_commitment=payload.contact_commitment,
        terms=payload.terms,
        rate_check=payload.rate_check,
        age_checks={c.party_id: c for c in payload.age_checks},
    )


def _existing(note: Note | None) -> Note:
    if note is None:
        raise ValueError("a note's first event must be NoteDrafted")
    return note


@_apply.register
def _amended(payload: NoteTermsAmended, note: Note | None, _: Envelope) -> Note:
    note = _existing(note)
    return replace(
        note,
        note_version=payload.note_version,
        status=Status.DRAFT,
        terms=payload.terms,
        rate_check=payload.rate_check,
        age_checks=_with_ages(note, payload.age_checks),
        document_digest=None,
    )


@_apply.register
def _contact_amended(payload: CounterpartyContactAmended, note: Note | None, _: Envelope) -> Note:
    note = _existing(note)
    counterparty = note.counterparty
    if counterparty is not None and payload.name_matches is not None:
        counterparty = replace(counterparty, name_matches=payload.name_matches)
    return replace(
        note,
        note_version=payload.note_version,
        status=Status.DRAFT,
        contact_commitment=payload.contact_commitment,
        counterparty=counterparty,
        document_digest=None,
    )


@_apply.register
def _invited(payload: CounterpartyInvited, note: Note | None, _: Envelope) -> Note:
    return replace(_existing(note), invitation=Invitation(payload.token_hash, payload.expires_at))


@_apply.register
def _revoked(payload: InvitationRevoked, note: Note | None, _: Envelope) -> Note:
    note = _existing(note)
    assert note.invitation is not None
    return replace(note, invitation=replace(note.invitation, revoked=True))


@_apply.register
def _joined(payload: CounterpartyJoined, note: Note | None, _: Envelope) -> Note:
    note = _existing(note)
    joined = Counterparty(payload.party_id, payload.identity_commitment, payload.name_matches)
    return replace(
        note,
        counterparty=joined,
        age_checks=_with_ages(note, payload.age_checks),
        # A used token is spent: it cannot let anybody else join.
        invitation=replace(note.invitation, revoked=True) if note.invitation else None,
    )


@_apply.register
def _frozen(payload: NoteFrozenForSigning, note: Note | None, _: Envelope) -> Note:
    return replace(_existing(note), status=Status.FROZEN, document_digest=payload.document_digest)


@_apply.register
def _locked(payload: NoteTermsLocked, note: Note | None, _: Envelope) -> Note:
    return replace(_existing(note), status=Status.LOCKED, locked_by=payload.signed_by)


@_apply.register
def _cancelled(payload: NoteCancelled, note: Note | None, _: Envelope) -> Note:
    return replace(_existing(note), status=Status.CANCELLED)


def fold(events: Iterable[Envelope]) -> Note | None:
    """The note after `events` (its whole stream, in order); None for an empty stream."""
    note: Note | None = None
    for envelope in events:
        note = replace(_apply(envelope.payload, note, envelope), stream_version=envelope.version)
    return note
