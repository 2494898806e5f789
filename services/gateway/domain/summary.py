"""A note as lists and pages show it, folded from drafting's and signing's events.

Drafting's events set only drafting's fields and signing's only signing's, so the summary is
the same whichever service's events arrive first: a rebuild by replay equals the live fold.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.catalogue import drafting as d
from shared.catalogue import signing as s
from shared.events import Envelope

Status = Literal[
    "draft",
    "invited",
    "joined",
    "signing",
    "declined",
    "cancelled",
    "completed",
    "void_pending",
    "voided",
]
OPPOSITE = {
    "lender": "borrower",
    "borrower": "lender",
    "payer": "payee",
    "payee": "payer",
    "party_a": "party_b",
    "party_b": "party_a",
}


class NoteSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    note_id: uuid.UUID
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # drafting's
    template: str | None = None
    initiator_party_id: uuid.UUID | None = None
    initiator_role: str | None = None
    counterparty_party_id: uuid.UUID | None = None
    amount: Decimal | None = None
    title: str = ""
    due_date: str | None = None
    note_version: int = 0
    frozen_version: int | None = None
    document_digest: str | None = None
    locked: bool = False
    cancelled: bool = False
    invitation: Literal["active", "revoked", "used"] | None = None
    # signing's
    signing_version: int | None = None
    signing: Literal["open", "closed", "declined", "completed"] | None = None
    signed_by: tuple[uuid.UUID, ...] = ()
    completed_at: datetime | None = None
    final_digest: str | None = None
    void: Literal["pending", "declined", "withdrawn", "expired", "voided"] | None = None
    void_id: uuid.UUID | None = None
    void_requested_by: uuid.UUID | None = None

    @property
    def counterparty_role(self) -> str | None:
        return OPPOSITE.get(self.initiator_role or "")

    def parties(self) -> dict[uuid.UUID, str]:
        """Who may see the note, with their role."""
        found: dict[uuid.UUID, str] = {}
        if self.initiator_party_id and self.initiator_role:
            found[self.initiator_party_id] = self.initiator_role
        if self.counterparty_party_id and self.counterparty_role:
            found[self.counterparty_party_id] = self.counterparty_role
        return found


def status(note: NoteSummary) -> Status:
    if note.void == "voided":
        return "voided"
    if note.void == "pending":
        return "void_pending"
    if note.signing == "completed":
        return "completed"
    if note.signing == "declined":
        return "declined"
    if note.cancelled:
        return "cancelled"
    if note.frozen_version is not None and note.frozen_version == note.note_version:
        return "signing"
    if note.counterparty_party_id is not None:
        return "joined"
    return "invited" if note.invitation == "active" else "draft"


def _headline(terms: d.IouTerms | d.ReceiptTerms | d.ContractTerms) -> dict[str, object]:
    if isinstance(terms, d.IouTerms):
        return {"amount": terms.principal, "title": terms.purpose, "due_date": str(terms.due_date)}
    if isinstance(terms, d.ReceiptTerms):
        return {"amount": terms.amount, "title": terms.reason, "due_date": None}
    end = str(terms.end_date) if terms.end_date else None
    return {"amount": terms.amount, "title": terms.title, "due_date": end}


def _drafting(note: NoteSummary, p: object) -> dict[str, object]:
    match p:
        case d.NoteDrafted():
            return {
                "template": p.template.value,
                "initiator_party_id": p.initiator_party_id,
                "initiator_role": p.terms.initiator_role,
                "note_version": p.note_version,
                **_headline(p.terms),
            }
        case d.NoteTermsAmended():
            return {"note_version": p.note_version, **_headline(p.terms)}
        case d.CounterpartyContactAmended():
            return {"note_version": p.note_version}
        case d.CounterpartyInvited():
            return {"invitation": "active"}
        case d.InvitationRevoked():
            return {"invitation": "revoked"}
        case d.CounterpartyJoined():
            return {"counterparty_party_id": p.party_id, "invitation": "used"}
        case d.NoteFrozenForSigning():
            return {"frozen_version": p.note_version, "document_digest": p.document_digest}
        case d.NoteTermsLocked():
            return {"locked": True}
        case d.NoteCancelled():
            return {"cancelled": True}
    return {}


def _signing(note: NoteSummary, p: object) -> dict[str, object]:
    match p:
        case s.SigningOpened():
            return {"signing_version": p.note_version, "signing": "open", "signed_by": ()}
        case s.SigningClosed():
            return {"signing": "closed", "signed_by": ()}
        case s.PartySigned():
            return {"signed_by": (*note.signed_by, p.party_id)}
        case s.SignatureDeclined():
            return {"signing": "declined"}
        case s.NoteCompleted():
            return {
                "signing": "completed",
                "completed_at": p.completed_at,
                "final_digest": p.final_digest,
            }
        case s.VoidRequested():
            return {"void": "pending", "void_id": p.void_id, "void_requested_by": p.requested_by}
        case s.VoidDeclined():
            return {"void": "declined"}
        case s.VoidWithdrawn():
            return {"void": "withdrawn"}
        case s.VoidExpired():
            return {"void": "expired"}
        case s.NoteVoided():
            return {"void": "voided"}
    return {}


def fold(note: NoteSummary | None, source: str, event: Envelope) -> NoteSummary:
    """The summary after one event of the note's stream in `source`."""
    note = note or NoteSummary(note_id=event.stream_id)
    changes = (_drafting if source == "drafting" else _signing)(note, event.payload)
    created = min(filter(None, (note.created_at, event.occurred_at)))
    updated = max(filter(None, (note.updated_at, event.occurred_at)))
    return note.model_copy(update={**changes, "created_at": created, "updated_at": updated})
