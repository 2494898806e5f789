"""Signing commands: each checks the state and returns the events it decides.

Checks run before the ticket is redeemed (so a refused request does not burn a ticket): the
note must be open for this digest, the signer a party due to sign now, intent confirmed.
"""

from __future__ import annotations

import uuid

from services.signing.domain.errors import SigningRefused
from services.signing.domain.messages import SignerFacts, signing_message
from services.signing.domain.signatures import require_intent, require_party
from services.signing.domain.state import NoteSigning, Status
from shared.catalogue.signing import (
    DigitalSignature,
    HandwritingRef,
    PartySigned,
    SignatureDeclined,
    SignerCheck,
)

_CLOSED = {
    Status.DECLINED: (
        "note_declined",
        "the note was declined and can no longer be signed",
        "该借条已被拒签，无法签署",
    ),
    Status.CANCELLED: (
        "note_cancelled",
        "the note was cancelled by its initiator",
        "该借条已被发起人取消",
    ),
    Status.VOIDED: ("note_voided", "the note was voided", "该借条已废止"),
    Status.COMPLETED: (
        "note_completed",
        "the note is already completely signed",
        "该借条已完成签署",
    ),
}


def _stale() -> SigningRefused:
    return SigningRefused(
        "stale_digest",
        "the terms changed since this version: review the current version and sign it",
        "借条内容已修改，请查看最新版本后再签署",
        "document_digest",
    )


def _require_open(state: NoteSigning, document_digest: str) -> None:
    if state.status in _CLOSED:
        code, en, zh = _CLOSED[state.status]
        raise SigningRefused(code, en, zh)
    if document_digest in state.lapsed_digests:
        raise _stale()
    if state.status is not Status.OPEN or state.opened is None:
        raise SigningRefused(
            "not_open_for_signing",
            "the note has not been submitted for signing",
            "借条尚未提交签署",
        )
    if state.opened.document_digest != document_digest:
        raise _stale()


def check_can_sign(
    state: NoteSigning, party_id: uuid.UUID, document_digest: str, intent_confirmed: bool
) -> str:
    """The signer's role, if `party_id` may sign `document_digest` now."""
    if state.opened is not None and party_id in state.signed_by():
        raise SigningRefused(
            "already_signed", "this party has already signed the note", "您已签署过该借条"
        )
    _require_open(state, document_digest)
    role = require_party(state, party_id)
    assert state.opened is not None
    if party_id not in state.opened.signers:
        raise SigningRefused(
            "not_a_signer",
            "this note needs no signature from this party",
            "该文书无需您签署",
            "party_id",
        )
    if state.next_signer() != party_id:
        raise SigningRefused("not_your_turn", "the initiator signs first", "请等待发起人先签署")
    require_intent(intent_confirmed)
    return role


def signer_facts(
    state: NoteSigning, party_id: uuid.UUID, handwriting: HandwritingRef, check: SignerCheck
) -> SignerFacts:
    previous = state.signatures[-1].signature.value if state.signatures else None
    return SignerFacts(
        party_id=party_id,
        role=state.role_of(party_id) or "",
        handwriting_digest=handwriting.digest,
        previous_signature=previous,
        check=check,
    )


def message_to_sign(state: NoteSigning, facts: SignerFacts) -> bytes:
    assert state.opened is not None
    return signing_message(
        state.note_id, state.opened.note_version, state.opened.document_digest, facts
    )


def party_signed(
    state: NoteSigning,
    facts: SignerFacts,
    handwriting: HandwritingRef,
    signature: DigitalSignature,
) -> PartySigned:
    assert state.opened is not None
    return PartySigned(
        note_id=state.note_id,
        note_version=state.opened.note_version,
        party_id=facts.party_id,
        role=facts.role,
        document_digest=state.opened.document_digest,
        sequence=len(state.signatures) + 1,
        previous_signature=facts.previous_signature,
        signature=signature,
        handwriting=handwriting,
        check=facts.check,
    )


def decline(
    state: NoteSigning, party_id: uuid.UUID, document_digest: str, reason: str
) -> SignatureDeclined:
    if state.opened is not None and party_id in state.signed_by():
        raise SigningRefused(
            "already_signed", "a party who signed cannot decline", "您已签署，不能拒签"
        )
    _require_open(state, document_digest)
    role = require_party(state, party_id)
    assert state.opened is not None
    if party_id == state.opened.initiator_party_id or party_id not in state.opened.signers:
        raise SigningRefused(
            "cannot_decline",
            "only a counterparty due to sign can decline (the initiator cancels instead)",
            "只有需签署的相对方可以拒签（发起人请使用取消）",
            "party_id",
        )
    if not reason.strip():
        raise SigningRefused(
            "reason_required", "give a reason for declining", "请填写拒签原因", "reason"
        )
    return SignatureDeclined(
        note_version=state.opened.note_version,
        party_id=party_id,
        role=role,
        document_digest=document_digest,
        reason=reason.strip(),
    )
