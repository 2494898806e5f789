"""Notes signed by the real signing code, as the JSON documents a pack carries, and the signing
service's own verdict on them (the reference the stdlib verifier must agree with)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from services.evidence.domain.jcs import NotCanonicalError
from services.evidence.domain.parties import verify_parties
from services.evidence.domain.party_events import CannotCheckError
from services.signing.domain.verification import verify_note
from shared.events import Envelope
from tests.signing.support import (
    Note,
    Signer,
    Stream,
    completed_iou,
    envelope,
    request_void,
    sign,
    sign_void,
)

Doc = dict[str, Any]
Outcome = tuple[bool, list[str], list[str], bool, bool] | None  # None: refused to read


def documents(note: Note, stream: Stream, *signers: Signer) -> list[Doc]:
    keys = [envelope(s.party_id, 1, s.published()) for s in signers]
    events = [*keys, envelope(note.note_id, 7, note.frozen()), *stream.events]
    return [json.loads(json.dumps(e.document())) for e in events]


def _signed(
    template: str, initiator_role: str | None = None
) -> tuple[Note, Stream, Signer, Signer]:
    note = Note(template=template, initiator_role=initiator_role)
    stream = Stream(note.note_id)
    initiator, counterparty = Signer(note.initiator), Signer(note.counterparty)
    stream.drafting(note.frozen())
    first = stream.state.opened
    assert first is not None
    by = initiator if first.signers[0] == note.initiator else counterparty
    sign(stream, by)
    stream.drafting(note.locked(by.party_id))
    if len(first.signers) == 2:
        sign(stream, counterparty)
    return note, stream, initiator, counterparty


def completed_iou_docs() -> list[Doc]:
    note, stream, initiator, counterparty = completed_iou()
    return documents(note, stream, initiator, counterparty)


def receipt_by_payee() -> list[Doc]:
    note, stream, initiator, counterparty = _signed("receipt", "payee")
    return documents(note, stream, initiator, counterparty)


def receipt_by_payer_initiator() -> list[Doc]:
    note, stream, initiator, counterparty = _signed("receipt", "payer")
    return documents(note, stream, initiator, counterparty)


def contract() -> list[Doc]:
    note, stream, initiator, counterparty = _signed("contract")
    return documents(note, stream, initiator, counterparty)


def voided_iou() -> list[Doc]:
    note, stream, initiator, counterparty = completed_iou()
    sign_void(stream, initiator, request_void(stream, counterparty, "other", "已还清 😀\n"))
    return documents(note, stream, initiator, counterparty)


def void_requested_contract() -> list[Doc]:
    note, stream, initiator, counterparty = _signed("contract")
    request_void(stream, initiator, "wrong_terms", "写错了")
    return documents(note, stream, initiator, counterparty)


def signed_in_part() -> list[Doc]:
    note = Note()
    stream = Stream(note.note_id)
    initiator = Signer(note.initiator)
    stream.drafting(note.frozen())
    sign(stream, initiator)
    return documents(note, stream, initiator)


CASES: dict[str, Callable[[], list[Doc]]] = {
    "completed IOU": completed_iou_docs,
    "receipt drafted by the payee": receipt_by_payee,
    "receipt drafted by the payer": receipt_by_payer_initiator,
    "contract": contract,
    "voided IOU": voided_iou,
    "contract with a void requested": void_requested_contract,
    "IOU signed in part": signed_in_part,
}


def by_signing(docs: list[Doc]) -> Outcome:
    """The signing service's verdict, as the project's verifier used to reach it."""
    try:
        verdict = verify_note([Envelope.from_document(d) for d in docs])
    except (ValueError, LookupError, TypeError):
        return None
    signers = [str(s) for s in verdict.signers]
    return verdict.valid, verdict.problems, signers, verdict.completed, verdict.voided


def by_stdlib(docs: list[Doc]) -> Outcome:
    try:
        verdict = verify_parties(docs)
    except (CannotCheckError, NotCanonicalError):
        return None
    return verdict.valid, verdict.problems, verdict.signers, verdict.completed, verdict.voided


def refused(outcome: Outcome) -> bool:
    return outcome is None or not outcome[0]
