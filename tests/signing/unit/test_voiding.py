"""The two-party void: its four endings, one request at a time, and nobody voids alone."""

from __future__ import annotations

import uuid

import pytest

from services.signing.domain import voiding
from services.signing.domain.errors import SigningRefused
from services.signing.domain.state import Status
from shared.catalogue.signing import NoteVoided, VoidExpired, VoidRequested, VoidSigned
from tests.signing.support import (
    T0,
    Note,
    Signer,
    Stream,
    completed_iou,
    later,
    request_void,
    sign,
    sign_void,
)


def refused(call: object, *args: object) -> str:
    with pytest.raises(SigningRefused) as refusal:
        call(*args)  # type: ignore[operator]
    return refusal.value.code


def test_signed_both_parties_void_the_note() -> None:
    _, stream, initiator, counterparty = completed_iou()
    void_id = request_void(stream, counterparty, "settled")
    assert stream.state.open_void is not None
    state = sign_void(stream, initiator, void_id, at=later(1))
    assert state.status is Status.VOIDED
    assert state.open_void is None
    assert [type(e.payload) for e in stream.events[-3:]] == [VoidRequested, VoidSigned, NoteVoided]


def test_declined_the_note_stays_completed_and_a_new_request_may_follow() -> None:
    _, stream, initiator, counterparty = completed_iou()
    void_id = request_void(stream, initiator, "wrong_terms")
    stream.add(voiding.decline_void(stream.state, counterparty.party_id, void_id, "不同意", T0))
    assert stream.state.status is Status.COMPLETED
    assert stream.state.open_void is None
    request_void(stream, counterparty, "agreement_ended")


def test_withdrawn_only_by_its_requester() -> None:
    _, stream, initiator, counterparty = completed_iou()
    void_id = request_void(stream, initiator)
    code = refused(voiding.withdraw_void, stream.state, counterparty.party_id, void_id, T0)
    assert code == "not_requester"
    stream.add(voiding.withdraw_void(stream.state, initiator.party_id, void_id, T0))
    assert stream.state.open_void is None
    assert stream.state.status is Status.COMPLETED


def test_expired_after_its_period_and_not_before() -> None:
    _, stream, initiator, counterparty = completed_iou()
    void_id = request_void(stream, initiator)
    assert voiding.expire_void(stream.state, later(29.9)) == []
    code = refused(
        voiding.check_can_answer, stream.state, counterparty.party_id, void_id, later(30)
    )
    assert code == "void_expired"
    expired = voiding.expire_void(stream.state, later(30))
    assert expired == [VoidExpired(void_id=void_id, expired_at=later(30))]
    stream.add(*expired)
    assert stream.state.open_void is None
    assert stream.state.status is Status.COMPLETED


def test_neither_party_can_void_alone() -> None:
    _, stream, initiator, _ = completed_iou()
    void_id = request_void(stream, initiator)
    code = refused(voiding.check_can_answer, stream.state, initiator.party_id, void_id, T0)
    assert code == "void_own_request"
    code = refused(voiding.decline_void, stream.state, initiator.party_id, void_id, "x", T0)
    assert code == "void_own_request"


def test_one_open_request_at_a_time() -> None:
    _, stream, initiator, counterparty = completed_iou()
    request_void(stream, initiator)
    code = refused(
        voiding.check_can_request, stream.state, counterparty.party_id, "settled", "", True
    )
    assert code == "void_already_open"


def test_only_a_completed_note_can_be_voided_and_only_once() -> None:
    note = Note()
    stream = Stream(note.note_id)
    stream.drafting(note.frozen())
    sign(stream, Signer(note.initiator))
    code = refused(voiding.check_can_request, stream.state, note.initiator, "settled", "", True)
    assert code == "note_not_completed"
    _, done, initiator, counterparty = completed_iou()
    sign_void(done, counterparty, request_void(done, initiator))
    code = refused(voiding.check_can_request, done.state, initiator.party_id, "settled", "", True)
    assert code == "note_voided"


def test_a_request_needs_a_party_an_explained_other_reason_and_intent() -> None:
    _, stream, initiator, _ = completed_iou()
    state = stream.state
    assert (
        refused(voiding.check_can_request, state, uuid.uuid4(), "settled", "", True)
        == "not_a_party"
    )
    code = refused(voiding.check_can_request, state, initiator.party_id, "other", " ", True)
    assert code == "reason_text_required"
    code = refused(voiding.check_can_request, state, initiator.party_id, "settled", "", False)
    assert code == "intent_not_confirmed"
    code = refused(voiding.check_can_request, state, initiator.party_id, "other", "x" * 501, True)
    assert code == "reason_text_too_long"


def test_answers_name_the_open_request() -> None:
    _, stream, initiator, counterparty = completed_iou()
    request_void(stream, initiator)
    code = refused(voiding.check_can_answer, stream.state, counterparty.party_id, uuid.uuid4(), T0)
    assert code == "void_not_open"
