"""Folds a note's events into its state (`note.Note`), one function per event type."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from functools import singledispatch

from services.drafting.domain.note import Counterparty, Invitation, Note, Status
from shared.catalogue.drafting import (
    AgeCheck,
    CounterpartyContactAmended,
    CounterpartyInvited,
    CounterpartyJoined,
    InvitationRevoked,
    NoteCancelled,
    NoteDeclined,
    NoteDrafted,
    NoteFrozenForSigning,
    NoteTermsAmended,
    NoteTermsLocked,
)
from shared.events import Envelope, EventPayload


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


@_apply.register
def _declined(payload: NoteDeclined, note: Note | None, _: Envelope) -> Note:
    return replace(_existing(note), status=Status.DECLINED)


def fold(events: Iterable[Envelope], note: Note | None = None) -> Note | None:
    """The note after `events`, in order, that follow `note` (None: the stream's start); None
    for an empty stream."""
    for envelope in events:
        note = replace(_apply(envelope.payload, note, envelope), stream_version=envelope.version)
    return note
