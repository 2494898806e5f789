"""What signing records of drafting's note events, to know which digest may be signed by whom.

A receipt (收据) is the payee's acknowledgement, so only the payee signs it, whichever party
drafted it. An IOU (借条) and a contract (合同) need both parties: the initiator first.
"""

from __future__ import annotations

import uuid

from services.signing.domain.state import NoteSigning, Status
from shared.catalogue.drafting import (
    CounterpartyContactAmended,
    NoteCancelled,
    NoteFrozenForSigning,
    NoteTermsAmended,
    NoteTermsLocked,
)
from shared.catalogue.signing import SigningClosed, SigningOpened, TermsLockRecorded
from shared.events import Envelope, EventPayload

DRAFTING_EVENTS = frozenset(
    {
        NoteFrozenForSigning.event_type(),
        NoteTermsAmended.event_type(),
        CounterpartyContactAmended.event_type(),
        NoteCancelled.event_type(),
        NoteTermsLocked.event_type(),
    }
)


def _text(document: dict[str, object], *path: str) -> str:
    # A document without these is a contract break with drafting: the consumer dead-letters it.
    node: object = document
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise ValueError(f"the frozen document has no {'.'.join(path)}")
        node = node[key]
    return str(node)


def required_signers(
    template: str, initiator_role: str, frozen: NoteFrozenForSigning
) -> tuple[uuid.UUID, ...]:
    initiator, counterparty = frozen.initiator_party_id, frozen.counterparty_party_id
    if template == "receipt":
        return (initiator,) if initiator_role == "payee" else (counterparty,)
    return (initiator, counterparty)


def opened_from(frozen: NoteFrozenForSigning, event_id: uuid.UUID) -> SigningOpened:
    document = frozen.document
    template = _text(document, "template", "kind")
    initiator_role = _text(document, "initiator", "role")
    return SigningOpened(
        note_version=frozen.note_version,
        document_digest=frozen.document_digest,
        template=template,
        initiator_party_id=frozen.initiator_party_id,
        initiator_role=initiator_role,
        initiator_identity_commitment=_text(document, "initiator", "identity_commitment"),
        counterparty_party_id=frozen.counterparty_party_id,
        counterparty_role=_text(document, "counterparty", "role"),
        counterparty_identity_commitment=frozen.counterparty_identity_commitment,
        signers=required_signers(template, initiator_role, frozen),
        frozen_event_id=event_id,
    )


def _finished(state: NoteSigning) -> bool:
    return state.status in (Status.COMPLETED, Status.VOIDED, Status.DECLINED, Status.CANCELLED)


def record_drafting_event(state: NoteSigning, envelope: Envelope) -> list[EventPayload]:
    """Signing's events for one of drafting's; none when it changes nothing for signing.

    A note that is finished here ignores drafting's later events: drafting cannot amend or
    cancel a locked note, so such an event can only be one that raced a signature and lost.
    """
    payload = envelope.payload
    if _finished(state):
        return []
    if isinstance(payload, NoteFrozenForSigning):
        return [opened_from(payload, envelope.event_id)]
    if isinstance(payload, NoteTermsAmended | CounterpartyContactAmended):
        if state.status is not Status.OPEN or state.opened is None:
            return []
        return [
            SigningClosed(
                note_version=payload.note_version,
                reason="amended",
                source_event_id=envelope.event_id,
            )
        ]
    if isinstance(payload, NoteCancelled):
        version = state.opened.note_version if state.opened else 0
        return [
            SigningClosed(
                note_version=version, reason="cancelled", source_event_id=envelope.event_id
            )
        ]
    if isinstance(payload, NoteTermsLocked):
        if state.opened is None or payload.note_version != state.opened.note_version:
            return []
        return [
            TermsLockRecorded(note_version=payload.note_version, source_event_id=envelope.event_id)
        ]
    return []
