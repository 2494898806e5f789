"""The two-party void (废止) of a completed note.

Only a completed note can be voided; either party asks, with a reason and a signature over
final digest ‖ reason; only the *other* party can sign it, so neither party ever voids alone.
One request is open at a time; it ends signed (→ NoteVoided), declined, withdrawn by its
requester, or expired.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.signing.domain.decisions import INTENT_VERSION, SignedBy, require_intent
from services.signing.domain.errors import SigningRefused
from services.signing.domain.messages import SignerFacts, VoidFacts, void_message
from services.signing.domain.state import NoteSigning, OpenVoid, Status
from shared.catalogue.signing import (
    HandwritingRef,
    NoteVoided,
    SignerCheck,
    VoidDeclined,
    VoidExpired,
    VoidReason,
    VoidRequested,
    VoidSigned,
    VoidWithdrawn,
)

DEFAULT_VOID_TTL = timedelta(days=30)
MAX_REASON_TEXT = 500


def _require_party(state: NoteSigning, party_id: uuid.UUID) -> str:
    role = state.role_of(party_id)
    if role is None:
        raise SigningRefused(
            "not_a_party", "only a party to the note may do this", "仅借条当事人可操作", "party_id"
        )
    return role


def _require_completed(state: NoteSigning) -> None:
    if state.status is Status.VOIDED:
        raise SigningRefused("note_voided", "the note is already voided", "该借条已废止")
    if state.status is not Status.COMPLETED:
        raise SigningRefused(
            "note_not_completed",
            "only a completed note can be voided; an unsigned one is cancelled by its initiator",
            "只有已完成签署的借条可以废止；未完成的借条请由发起人取消",
        )


def _require_reason(code: VoidReason, text: str) -> str:
    text = text.strip()
    if code == "other" and not text:
        raise SigningRefused(
            "reason_text_required",
            'explain the reason "other"',
            "选择“其他”时请填写原因",
            "reason_text",
        )
    if len(text) > MAX_REASON_TEXT:
        raise SigningRefused(
            "reason_text_too_long",
            f"at most {MAX_REASON_TEXT} characters",
            f"原因最多 {MAX_REASON_TEXT} 字",
            "reason_text",
        )
    return text


def check_can_request(
    state: NoteSigning, party_id: uuid.UUID, code: VoidReason, text: str, intent: bool
) -> str:
    """The reason text to sign, if `party_id` may ask to void now."""
    _require_party(state, party_id)
    _require_completed(state)
    if state.open_void is not None:
        raise SigningRefused(
            "void_already_open",
            "a void request is already open on this note",
            "该借条已有一个进行中的废止申请",
        )
    reason_text = _require_reason(code, text)
    require_intent(intent)
    return reason_text


def void_facts(state: NoteSigning, void_id: uuid.UUID, code: str, text: str) -> VoidFacts:
    assert state.final_digest is not None
    return VoidFacts(state.note_id, void_id, state.final_digest, code, text)


def requester_facts(
    state: NoteSigning, party_id: uuid.UUID, handwriting: HandwritingRef
) -> SignerFacts:
    return SignerFacts(
        party_id=party_id,
        role=state.role_of(party_id) or "",
        identity_commitment=state.identity_commitment_of(party_id),
        handwriting_digest=handwriting.digest,
        previous_signature=None,
    )


def _check(state: NoteSigning, facts: SignerFacts, signed: SignedBy) -> SignerCheck:
    return SignerCheck(
        ticket_id=signed.ticket_id,
        method=signed.method,
        identity_commitment=facts.identity_commitment,
        intent_version=INTENT_VERSION,
    )


def void_requested(
    state: NoteSigning,
    void: VoidFacts,
    facts: SignerFacts,
    handwriting: HandwritingRef,
    signed: SignedBy,
    expires_at: datetime,
) -> VoidRequested:
    return VoidRequested(
        void_id=void.void_id,
        requested_by=facts.party_id,
        role=facts.role,
        reason_code=void.reason_code,  # checked by the command model
        reason_text=void.reason_text,
        final_digest=void.final_digest,
        expires_at=expires_at,
        signature=signed.signature,
        handwriting=handwriting,
        check=_check(state, facts, signed),
    )


def require_open_void(state: NoteSigning, void_id: uuid.UUID, now: datetime) -> OpenVoid:
    _require_completed(state)
    void = state.open_void
    if void is None or void.void_id != void_id:
        raise SigningRefused(
            "void_not_open",
            "no such open void request on this note",
            "该废止申请不存在或已结束",
            "void_id",
        )
    if now >= void.expires_at:
        raise SigningRefused(
            "void_expired", "the void request has expired", "该废止申请已过期", "void_id"
        )
    return void


def check_can_answer(
    state: NoteSigning, party_id: uuid.UUID, void_id: uuid.UUID, now: datetime
) -> OpenVoid:
    """The open request, if `party_id` is the other party and may sign or decline it."""
    _require_party(state, party_id)
    void = require_open_void(state, void_id, now)
    if party_id == void.requested_by:
        raise SigningRefused(
            "void_own_request",
            "the other party must sign the void: nobody can void a note alone",
            "废止须由另一方签署，任何一方都不能单方废止",
            "party_id",
        )
    return void


def countersigner_facts(
    state: NoteSigning, party_id: uuid.UUID, void: OpenVoid, handwriting: HandwritingRef
) -> SignerFacts:
    return SignerFacts(
        party_id=party_id,
        role=state.role_of(party_id) or "",
        identity_commitment=state.identity_commitment_of(party_id),
        handwriting_digest=handwriting.digest,
        previous_signature=void.signature,
    )


def open_void_facts(state: NoteSigning, void: OpenVoid) -> VoidFacts:
    return void_facts(state, void.void_id, void.reason_code, void.reason_text)


def void_signed(
    state: NoteSigning,
    void: OpenVoid,
    facts: SignerFacts,
    handwriting: HandwritingRef,
    signed: SignedBy,
    now: datetime,
) -> list[VoidSigned | NoteVoided]:
    assert state.final_digest is not None
    return [
        VoidSigned(
            void_id=void.void_id,
            party_id=facts.party_id,
            role=facts.role,
            signature=signed.signature,
            handwriting=handwriting,
            check=_check(state, facts, signed),
        ),
        NoteVoided(
            void_id=void.void_id,
            final_digest=state.final_digest,
            reason_code=void.reason_code,  # it came from VoidRequested
            voided_at=now,
        ),
    ]


def decline_void(
    state: NoteSigning, party_id: uuid.UUID, void_id: uuid.UUID, reason: str, now: datetime
) -> VoidDeclined:
    check_can_answer(state, party_id, void_id, now)
    return VoidDeclined(void_id=void_id, party_id=party_id, reason=reason.strip()[:MAX_REASON_TEXT])


def withdraw_void(
    state: NoteSigning, party_id: uuid.UUID, void_id: uuid.UUID, now: datetime
) -> VoidWithdrawn:
    _require_party(state, party_id)
    void = require_open_void(state, void_id, now)
    if party_id != void.requested_by:
        raise SigningRefused(
            "not_requester",
            "only the party who asked can withdraw the request",
            "只有申请人可以撤回废止申请",
            "party_id",
        )
    return VoidWithdrawn(void_id=void_id, party_id=party_id)


def expire_void(state: NoteSigning, now: datetime) -> list[VoidExpired]:
    """The expiry of the open request, if its time is up; nothing otherwise."""
    void = state.open_void
    if state.status is not Status.COMPLETED or void is None or now < void.expires_at:
        return []
    return [VoidExpired(void_id=void.void_id, expired_at=now)]


def signing_message_for_void(void: VoidFacts, facts: SignerFacts) -> bytes:
    return void_message(void, facts)
