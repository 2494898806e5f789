"""Freezing a note for signing, and locking (or ending) it when signing says somebody signed
(or declined).

The frozen document (see `document`) is what the initiator signs; its digest is published in
`NoteFrozenForSigning`. A signature over the frozen version and digest by a party of the note
locks the terms for good; a signature over an older version was overtaken by an amendment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.drafting.domain.decisions import require_initiator_can_change
from services.drafting.domain.document import document_digest, note_document
from services.drafting.domain.errors import NotAllowed
from services.drafting.domain.note import Note, Status
from services.drafting.domain.parties import require_age
from shared.catalogue.drafting import NoteDeclined, NoteFrozenForSigning, NoteTermsLocked


def _require_ready(note: Note) -> uuid.UUID:
    if note.status is Status.FROZEN:
        raise NotAllowed(
            None, "already_frozen", "this version is already frozen for signing", "该版本已提交签署"
        )
    if note.counterparty is None:
        raise NotAllowed(
            None, "counterparty_not_joined", "the counterparty has not joined yet", "相对方尚未加入"
        )
    if not note.counterparty.name_matches:
        raise NotAllowed(
            "counterparty.display_name",
            "counterparty_name_mismatch",
            "the counterparty's verified legal name differs from the name entered: correct it",
            "相对方的实名与填写的姓名不一致，请修改姓名",
        )
    if note.start_date is not None:
        require_age(note.age_checks.get(note.initiator_party_id), "initiator", note.start_date)
        require_age(
            note.age_checks.get(note.counterparty.party_id), "counterparty", note.start_date
        )
    return note.counterparty.party_id


def document_of(note: Note) -> dict[str, object]:
    return note_document(
        note_id=note.note_id,
        note_version=note.note_version,
        template={
            "kind": note.template.value,
            "version": note.template_version,
            "text": note.template_text,
        },
        disclaimer_version=note.disclaimer_version,
        initiator={
            "party_id": str(note.initiator_party_id),
            "role": note.initiator_role,
            "identity_commitment": note.initiator_identity_commitment,
        },
        counterparty={
            "role": note.counterparty_role,
            "contact_commitment": note.contact_commitment,
        },
        terms=note.terms,
        rate_check=note.rate_check,
    )


def submit_for_signing(note: Note, actor: uuid.UUID) -> NoteFrozenForSigning:
    require_initiator_can_change(note, actor)
    counterparty_id = _require_ready(note)
    assert note.counterparty is not None
    document = document_of(note)
    return NoteFrozenForSigning(
        note_version=note.note_version,
        document_digest=document_digest(document),
        document=document,
        initiator_party_id=note.initiator_party_id,
        counterparty_party_id=counterparty_id,
        counterparty_identity_commitment=note.counterparty.identity_commitment,
    )


@dataclass(frozen=True)
class Signature:
    """What drafting needs of signing's `PartySigned`: who signed which version, over what."""

    note_version: int
    party_id: uuid.UUID
    document_digest: str
    event_id: uuid.UUID


def _over_frozen_version(note: Note, signed: Signature) -> bool:
    return (
        note.status is Status.FROZEN
        and signed.note_version == note.note_version
        and signed.document_digest == note.document_digest
        and signed.party_id in note.party_ids()
    )


def end_on_decline(note: Note, declined: Signature) -> list[NoteDeclined]:
    """End the note when a party declines the frozen version; ignore a stale decline."""
    if not _over_frozen_version(note, declined):
        return []
    return [
        NoteDeclined(
            note_version=note.note_version,
            declined_by=declined.party_id,
            decline_event_id=declined.event_id,
        )
    ]


def lock_on_signature(note: Note, signed: Signature) -> list[NoteTermsLocked]:
    """Lock the terms on the first signature over the frozen version; ignore any stale one."""
    if not _over_frozen_version(note, signed):
        return []
    locked = NoteTermsLocked(
        note_version=note.note_version,
        signed_by=signed.party_id,
        signature_event_id=signed.event_id,
    )
    return [locked]
