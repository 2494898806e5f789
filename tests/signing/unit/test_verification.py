"""The two Ed25519 signatures verify from the published keys and the events alone, and any
change to the terms, a handwriting hash or the signing order makes verification fail."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from services.signing.domain.decisions import message_to_sign, party_signed, signer_facts
from services.signing.domain.messages import SIGN_FORMAT
from services.signing.domain.verification import verify_note
from shared.catalogue.signing import (
    NoteCompleted,
    NoteVoided,
    PartySigned,
    VoidRequested,
    VoidSigned,
)
from shared.events import Envelope, EventPayload
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


def events_of(note: Note, stream: Stream, *signers: Any) -> list[Envelope]:
    keys = [envelope(s.party_id, 1, s.published()) for s in signers]
    return [*keys, envelope(note.note_id, 7, note.frozen()), *stream.events]


def flip(text: str) -> str:
    """The same text with one character changed, as one flipped byte would."""
    last = text[-1]
    return text[:-1] + ("0" if last != "0" else "1")


def replaced(events: list[Envelope], index: int, payload: EventPayload) -> list[Envelope]:
    changed = list(events)
    changed[index] = events[index].model_copy(update={"payload": payload})
    return changed


def index_of(events: list[Envelope], kind: type, nth: int = 0) -> int:
    return [i for i, e in enumerate(events) if isinstance(e.payload, kind)][nth]


def test_a_completed_iou_verifies_with_only_the_published_keys_and_the_events() -> None:
    note, stream, initiator, counterparty = completed_iou()
    verdict = verify_note(events_of(note, stream, initiator, counterparty))
    assert verdict.valid, verdict.problems
    assert verdict.signers == [note.initiator, note.counterparty]


def test_without_the_published_keys_nothing_verifies() -> None:
    note, stream, _, _ = completed_iou()
    verdict = verify_note(events_of(note, stream))
    assert not verdict.valid
    assert any("no published key" in p for p in verdict.problems)


def test_one_changed_byte_of_the_terms_fails() -> None:
    note, stream, initiator, counterparty = completed_iou()
    events = events_of(note, stream, initiator, counterparty)
    i = index_of(events, type(note.frozen()))
    frozen = events[i].payload
    document = copy.deepcopy(frozen.document)  # type: ignore[attr-defined]
    document["terms"]["principal"] = "10001.00"
    verdict = verify_note(replaced(events, i, frozen.model_copy(update={"document": document})))
    assert not verdict.valid
    assert any("does not verify" in p for p in verdict.problems)


def test_one_changed_byte_of_a_handwriting_hash_fails() -> None:
    note, stream, initiator, counterparty = completed_iou()
    events = events_of(note, stream, initiator, counterparty)
    for nth in (0, 1):
        i = index_of(events, PartySigned, nth)
        signed = events[i].payload
        assert isinstance(signed, PartySigned)
        for part in ("digest", "png_sha256", "strokes_sha256"):
            ref = signed.handwriting.model_copy(
                update={part: flip(getattr(signed.handwriting, part))}
            )
            verdict = verify_note(
                replaced(events, i, signed.model_copy(update={"handwriting": ref}))
            )
            assert not verdict.valid, (nth, part)


def test_swapping_the_signing_order_fails() -> None:
    note, stream, initiator, counterparty = completed_iou()
    events = events_of(note, stream, initiator, counterparty)
    first, second = index_of(events, PartySigned, 0), index_of(events, PartySigned, 1)
    swapped = list(events)
    swapped[first], swapped[second] = events[second], events[first]
    verdict = verify_note(swapped)
    assert not verdict.valid
    assert any("does not verify" in p for p in verdict.problems)


def test_a_signature_by_another_party_s_key_fails() -> None:
    note, stream, initiator, counterparty = completed_iou()
    events = events_of(note, stream, initiator, counterparty)
    i = index_of(events, PartySigned, 1)
    signed = events[i].payload
    assert isinstance(signed, PartySigned)
    forged = signed.signature.model_copy(update={"key_id": initiator.key_id})
    assert not verify_note(
        replaced(events, i, signed.model_copy(update={"signature": forged}))
    ).valid


def test_a_voided_note_verifies_and_a_forged_void_reason_fails() -> None:
    note, stream, initiator, counterparty = completed_iou()
    sign_void(stream, initiator, request_void(stream, counterparty, "other", "已还清"))
    events = events_of(note, stream, initiator, counterparty)
    verdict = verify_note(events)
    assert verdict.valid, verdict.problems
    assert verdict.voided
    i = index_of(events, VoidRequested)
    request = events[i].payload
    assert isinstance(request, VoidRequested)
    forged = request.model_copy(update={"reason_text": "已还清。"})
    assert not verify_note(replaced(events, i, forged)).valid


def test_an_unsigned_note_does_not_verify() -> None:
    note = Note()
    verdict = verify_note([envelope(note.note_id, 1, note.frozen())])
    assert not verdict.valid
    assert verdict.signers == []


def test_a_note_signed_in_part_verifies_what_is_there_but_is_not_completed() -> None:
    note = Note()
    stream = Stream(note.note_id)
    initiator = Signer(note.initiator)
    stream.drafting(note.frozen())
    sign(stream, initiator)
    verdict = verify_note(events_of(note, stream, initiator))
    assert verdict.valid, verdict.problems
    assert (verdict.completed, verdict.signers) == (False, [note.initiator])


def test_a_counterparty_signing_first_does_not_verify_even_with_a_valid_signature() -> None:
    note = Note()
    stream = Stream(note.note_id)
    counterparty = Signer(note.counterparty)
    state = stream.drafting(note.frozen())
    ref = counterparty.handwriting.ref
    facts = signer_facts(state, note.counterparty, ref, counterparty.check(state))
    signature = counterparty.signature(message_to_sign(state, facts), SIGN_FORMAT)
    stream.add(party_signed(state, facts, ref, signature))  # no order check on this path
    verdict = verify_note(events_of(note, stream, counterparty))
    assert not verdict.valid
    assert verdict.problems == ["the signers or their order differ from the note's signing order"]


def _changed(value: object) -> object:
    """The value with one small change of its kind (one character, one unit, one second)."""
    if isinstance(value, str):
        return flip(value)
    if isinstance(value, bool) or value is None:
        return "x"
    if isinstance(value, int):
        return value + 1
    if isinstance(value, datetime):
        return value + timedelta(seconds=1)
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    raise TypeError(type(value))


def variants(model: BaseModel) -> Iterator[tuple[str, BaseModel]]:
    """The model with each leaf field changed in turn, with the field's path."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            for path, changed in variants(value):
                yield f"{name}.{path}", model.model_copy(update={name: changed})
        else:
            yield name, model.model_copy(update={name: _changed(value)})


def test_a_change_to_any_field_of_any_signature_event_is_detected() -> None:
    note, stream, initiator, counterparty = completed_iou()
    sign_void(stream, initiator, request_void(stream, counterparty, "other", "已还清"))
    events = events_of(note, stream, initiator, counterparty)
    assert verify_note(events).valid
    signed_kinds = (PartySigned, VoidRequested, VoidSigned, NoteVoided)
    undetected = [
        f"{events[i].event_type}.{path}"
        for i, event in enumerate(events)
        if isinstance(event.payload, signed_kinds)
        for path, changed in variants(event.payload)
        if verify_note(replaced(events, i, changed)).valid  # type: ignore[arg-type]
    ]
    # When a void took effect is the service's word, anchored by the evidence log; no party signs
    # it (as NoteCompleted's completed_at).
    assert undetected == ["NoteVoided.voided_at"]


def test_a_completion_naming_other_signers_or_another_digest_is_detected() -> None:
    note, stream, initiator, counterparty = completed_iou()
    events = events_of(note, stream, initiator, counterparty)
    i = index_of(events, NoteCompleted)
    completed = events[i].payload
    assert isinstance(completed, NoteCompleted)
    for changes in (
        {"signers": (note.initiator,)},
        {"final_digest": flip(completed.final_digest)},
        {"document_digest": flip(completed.document_digest)},
        {"note_version": 2},
    ):
        assert not verify_note(replaced(events, i, completed.model_copy(update=changes))).valid
