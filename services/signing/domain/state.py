"""A note's signing state, folded from signing's own note stream.

AWAITING_DOCUMENT --SigningOpened--> OPEN            (drafting froze a version)
OPEN --SigningClosed(amended)--> AWAITING_DOCUMENT    (its signatures lapse)
OPEN --SigningClosed(cancelled)--> CANCELLED
OPEN --PartySigned--> OPEN                            (in `signers` order)
OPEN --SignatureDeclined--> DECLINED
OPEN --NoteCompleted--> COMPLETED                     (all signed + drafting locked terms)
COMPLETED --VoidRequested--> COMPLETED with an open void
    --VoidSigned + NoteVoided--> VOIDED
    --VoidDeclined | VoidWithdrawn | VoidExpired--> COMPLETED, no open void
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import singledispatch

from shared.catalogue.signing import (
    NoteCompleted,
    NoteVoided,
    PartySigned,
    SignatureDeclined,
    SigningClosed,
    SigningOpened,
    TermsLockRecorded,
    VoidDeclined,
    VoidExpired,
    VoidRequested,
    VoidSigned,
    VoidWithdrawn,
)
from shared.events import Envelope, EventPayload


class Status(StrEnum):
    AWAITING_DOCUMENT = "awaiting_document"
    OPEN = "open"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    VOIDED = "voided"


@dataclass(frozen=True)
class OpenVoid:
    void_id: uuid.UUID
    requested_by: uuid.UUID
    reason_code: str
    reason_text: str
    expires_at: datetime
    signature: str


@dataclass(frozen=True)
class NoteSigning:
    note_id: uuid.UUID
    stream_version: int = 0
    status: Status = Status.AWAITING_DOCUMENT
    opened: SigningOpened | None = None
    lapsed_digests: frozenset[str] = frozenset()
    signatures: tuple[PartySigned, ...] = ()
    locked_version: int | None = None
    final_digest: str | None = None
    completed_at: datetime | None = None
    open_void: OpenVoid | None = None

    def role_of(self, party_id: uuid.UUID) -> str | None:
        if self.opened is None:
            return None
        roles = {
            self.opened.initiator_party_id: self.opened.initiator_role,
            self.opened.counterparty_party_id: self.opened.counterparty_role,
        }
        return roles.get(party_id)

    def identity_commitment_of(self, party_id: uuid.UUID) -> str:
        assert self.opened is not None
        if party_id == self.opened.initiator_party_id:
            return self.opened.initiator_identity_commitment
        return self.opened.counterparty_identity_commitment

    def signed_by(self) -> tuple[uuid.UUID, ...]:
        return tuple(s.party_id for s in self.signatures)

    def next_signer(self) -> uuid.UUID | None:
        if self.status is not Status.OPEN or self.opened is None:
            return None
        pending = [p for p in self.opened.signers if p not in self.signed_by()]
        return pending[0] if pending else None

    def ready_to_complete(self) -> bool:
        return (
            self.status is Status.OPEN
            and self.opened is not None
            and self.next_signer() is None
            and self.locked_version == self.opened.note_version
        )


@singledispatch
def _apply(payload: EventPayload, state: NoteSigning, envelope: Envelope) -> NoteSigning:
    raise TypeError(f"signing does not fold {type(payload).__name__}")


@_apply.register
def _opened(payload: SigningOpened, state: NoteSigning, _: Envelope) -> NoteSigning:
    return replace(state, status=Status.OPEN, opened=payload, signatures=(), locked_version=None)


@_apply.register
def _closed(payload: SigningClosed, state: NoteSigning, _: Envelope) -> NoteSigning:
    lapsed = state.lapsed_digests | (
        {state.opened.document_digest} if state.opened is not None else set()
    )
    status = Status.CANCELLED if payload.reason == "cancelled" else Status.AWAITING_DOCUMENT
    return replace(state, status=status, lapsed_digests=lapsed, signatures=(), locked_version=None)


@_apply.register
def _locked(payload: TermsLockRecorded, state: NoteSigning, _: Envelope) -> NoteSigning:
    return replace(state, locked_version=payload.note_version)


@_apply.register
def _signed(payload: PartySigned, state: NoteSigning, _: Envelope) -> NoteSigning:
    return replace(state, signatures=(*state.signatures, payload))


@_apply.register
def _declined(payload: SignatureDeclined, state: NoteSigning, _: Envelope) -> NoteSigning:
    return replace(state, status=Status.DECLINED)


@_apply.register
def _completed(payload: NoteCompleted, state: NoteSigning, _: Envelope) -> NoteSigning:
    return replace(
        state,
        status=Status.COMPLETED,
        final_digest=payload.final_digest,
        completed_at=payload.completed_at,
    )


@_apply.register
def _void_requested(payload: VoidRequested, state: NoteSigning, _: Envelope) -> NoteSigning:
    void = OpenVoid(
        payload.void_id,
        payload.requested_by,
        payload.reason_code,
        payload.reason_text,
        payload.expires_at,
        payload.signature.value,
    )
    return replace(state, open_void=void)


@_apply.register
def _void_signed(payload: VoidSigned, state: NoteSigning, _: Envelope) -> NoteSigning:
    return state  # NoteVoided, in the same append, is what changes the note


@_apply.register
def _voided(payload: NoteVoided, state: NoteSigning, _: Envelope) -> NoteSigning:
    return replace(state, status=Status.VOIDED, open_void=None)


def _void_closed(
    payload: VoidDeclined | VoidWithdrawn | VoidExpired, state: NoteSigning, _: Envelope
) -> NoteSigning:
    return replace(state, open_void=None)


for _ending in (VoidDeclined, VoidWithdrawn, VoidExpired):
    _apply.register(_ending, _void_closed)


def fold(note_id: uuid.UUID, events: Iterable[Envelope]) -> NoteSigning:
    """The signing state of a note after its signing stream `events`, in order."""
    return evolve(NoteSigning(note_id), events)


def evolve(state: NoteSigning, events: Iterable[Envelope]) -> NoteSigning:
    """`state` after further `events` of its stream."""
    for envelope in events:
        state = replace(_apply(envelope.payload, state, envelope), stream_version=envelope.version)
    return state
