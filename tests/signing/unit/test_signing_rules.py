"""The note-signing state machine: order, completion, and every refusal with its typed reason."""

from __future__ import annotations

import uuid

import pytest

from services.signing.domain.decisions import check_can_sign, decline
from services.signing.domain.errors import SigningRefused
from services.signing.domain.state import Status
from tests.signing.support import Note, Signer, Stream, completed_iou, sign


def opened(template: str = "iou", initiator_role: str | None = None) -> tuple[Note, Stream]:
    note = Note(template=template, initiator_role=initiator_role)
    stream = Stream(note.note_id)
    stream.drafting(note.frozen())
    return note, stream


def refusal(stream: Stream, party: uuid.UUID, digest: str, intent: bool = True) -> str:
    with pytest.raises(SigningRefused) as refused:
        check_can_sign(stream.state, party, digest, intent)
    return refused.value.code


def test_an_iou_is_signed_initiator_first_and_completes_once_drafting_locked_the_terms() -> None:
    note, stream = opened()
    assert stream.state.next_signer() == note.initiator
    sign(stream, Signer(note.initiator))
    assert stream.state.next_signer() == note.counterparty
    stream.drafting(note.locked())
    state = sign(stream, Signer(note.counterparty))
    assert state.status is Status.COMPLETED
    assert state.signed_by() == (note.initiator, note.counterparty)
    assert state.final_digest is not None


def test_all_signatures_without_drafting_s_lock_do_not_complete_until_the_lock_arrives() -> None:
    note, stream = opened()
    sign(stream, Signer(note.initiator))
    state = sign(stream, Signer(note.counterparty))
    assert state.status is Status.OPEN
    assert not state.ready_to_complete()
    assert stream.drafting(note.locked()).status is Status.COMPLETED


def test_the_counterparty_cannot_sign_before_the_initiator() -> None:
    note, stream = opened()
    assert refusal(stream, note.counterparty, note.digest) == "not_your_turn"


def test_a_party_cannot_sign_twice() -> None:
    note, stream = opened()
    sign(stream, Signer(note.initiator))
    assert refusal(stream, note.initiator, note.digest) == "already_signed"
    _, done, _initiator, counterparty = completed_iou()
    assert refusal(done, counterparty.party_id, "0" * 64) == "already_signed"


def test_a_non_party_cannot_sign() -> None:
    note, stream = opened()
    assert refusal(stream, uuid.uuid4(), note.digest) == "not_a_party"


def test_nobody_signs_after_a_decline() -> None:
    note, stream = opened()
    sign(stream, Signer(note.initiator))
    stream.add(decline(stream.state, note.counterparty, note.digest, "金额不对"))
    assert stream.state.status is Status.DECLINED
    assert refusal(stream, note.counterparty, note.digest) == "note_declined"


def test_nobody_signs_after_a_cancellation() -> None:
    note, stream = opened()
    stream.drafting(note.cancelled())
    assert stream.state.status is Status.CANCELLED
    assert refusal(stream, note.initiator, note.digest) == "note_cancelled"


def test_a_signature_over_a_digest_amended_since_is_refused_and_earlier_signatures_lapse() -> None:
    note, stream = opened()
    stale = note.digest
    sign(stream, Signer(note.initiator))
    stream.drafting(note.amended())
    assert stream.state.signatures == ()
    assert refusal(stream, note.initiator, stale) == "stale_digest"
    stream.drafting(note.frozen())
    assert refusal(stream, note.initiator, stale) == "stale_digest"
    assert refusal(stream, note.counterparty, note.digest) == "not_your_turn"
    sign(stream, Signer(note.initiator))


def test_a_lock_of_an_older_version_does_not_count() -> None:
    note, stream = opened()
    old_lock = note.locked()
    stream.drafting(note.amended())
    stream.drafting(note.frozen())
    stream.drafting(old_lock)
    assert stream.state.locked_version is None


def test_nothing_can_be_signed_before_the_note_is_frozen() -> None:
    note = Note()
    stream = Stream(note.note_id)
    assert refusal(stream, note.initiator, note.digest) == "not_open_for_signing"


def test_a_new_version_not_yet_open_here_is_not_called_stale() -> None:
    note, stream = opened()
    stream.drafting(note.amended())
    assert refusal(stream, note.initiator, note.digest) == "not_open_for_signing"
    assert refusal(stream, note.initiator, "0" * 64) == "not_open_for_signing"
    stream.drafting(note.frozen())
    assert refusal(stream, note.initiator, "0" * 64) == "stale_digest"


def test_the_intent_must_be_confirmed() -> None:
    note, stream = opened()
    assert refusal(stream, note.initiator, note.digest, intent=False) == "intent_not_confirmed"


def test_a_receipt_needs_only_the_payee_s_signature() -> None:
    note, stream = opened("receipt", initiator_role="payee")
    assert stream.state.opened is not None
    assert stream.state.opened.signers == (note.initiator,)
    assert refusal(stream, note.counterparty, note.digest) == "not_a_signer"
    sign(stream, Signer(note.initiator))
    state = stream.drafting(note.locked())
    assert state.status is Status.COMPLETED
    assert state.signed_by() == (note.initiator,)


def test_a_receipt_drafted_by_the_payer_is_signed_by_the_payee_alone() -> None:
    note, stream = opened("receipt", initiator_role="payer")
    assert refusal(stream, note.initiator, note.digest) == "not_a_signer"
    sign(stream, Signer(note.counterparty))
    assert stream.drafting(note.locked(by=note.counterparty)).status is Status.COMPLETED


def test_a_contract_needs_both_parties_in_order_like_an_iou() -> None:
    note, stream = opened("contract")
    assert refusal(stream, note.counterparty, note.digest) == "not_your_turn"
    sign(stream, Signer(note.initiator))
    stream.drafting(note.locked())
    assert stream.state.status is Status.OPEN
    assert sign(stream, Signer(note.counterparty)).status is Status.COMPLETED


@pytest.mark.parametrize(
    ("who", "reason", "code"),
    [("initiator", "x", "cannot_decline"), ("counterparty", "  ", "reason_required")],
)
def test_only_the_counterparty_declines_and_with_a_reason(who: str, reason: str, code: str) -> None:
    note, stream = opened()
    party = note.initiator if who == "initiator" else note.counterparty
    with pytest.raises(SigningRefused) as refused:
        decline(stream.state, party, note.digest, reason)
    assert refused.value.code == code


def test_a_party_who_signed_cannot_decline_and_a_stale_digest_cannot_be_declined() -> None:
    note, stream = opened()
    sign(stream, Signer(note.initiator))
    sign(stream, Signer(note.counterparty))
    with pytest.raises(SigningRefused) as refused:
        decline(stream.state, note.counterparty, note.digest, "no")
    assert refused.value.code == "already_signed"
    amended, other = opened()
    stale = amended.digest
    other.drafting(amended.amended())
    with pytest.raises(SigningRefused) as refused:
        decline(other.state, amended.counterparty, stale, "x")
    assert refused.value.code == "stale_digest"


def test_drafting_events_after_completion_change_nothing() -> None:
    note, stream, _, _ = completed_iou()
    before = len(stream.events)
    stream.drafting(note.cancelled())
    stream.drafting(note.amended())
    assert len(stream.events) == before
    assert stream.state.status is Status.COMPLETED
