"""Asking to void: either party of a completed note, with a reason, signing final digest ‖
reason; one request open at a time."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.signing.domain.errors import SigningRefused
from services.signing.domain.messages import SignerFacts, VoidFacts
from services.signing.domain.signatures import require_intent, require_party
from services.signing.domain.state import NoteSigning
from services.signing.domain.voiding.common import MAX_REASON_TEXT, require_completed
from shared.catalogue.signing import (
    DigitalSignature,
    HandwritingRef,
    SignerCheck,
    VoidReason,
    VoidRequested,
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
    require_party(state, party_id)
    require_completed(state)
    if state.open_void is not None:
        raise SigningRefused(
            "void_already_open",
            "a void request is already open on this note",
            "该借条已有一个进行中的废止申请",
        )
    reason_text = _require_reason(code, text)
    require_intent(intent)
    return reason_text


def void_facts(
    state: NoteSigning, void_id: uuid.UUID, code: str, text: str, expires_at: datetime
) -> VoidFacts:
    assert state.final_digest is not None
    return VoidFacts(state.note_id, void_id, state.final_digest, code, text, expires_at)


def requester_facts(
    state: NoteSigning, party_id: uuid.UUID, handwriting: HandwritingRef, check: SignerCheck
) -> SignerFacts:
    return SignerFacts(
        party_id=party_id,
        role=state.role_of(party_id) or "",
        handwriting_digest=handwriting.digest,
        previous_signature=None,
        check=check,
    )


def void_requested(
    state: NoteSigning,
    void: VoidFacts,
    facts: SignerFacts,
    handwriting: HandwritingRef,
    signature: DigitalSignature,
) -> VoidRequested:
    return VoidRequested(
        void_id=void.void_id,
        requested_by=facts.party_id,
        role=facts.role,
        reason_code=void.reason_code,  # checked by the command model
        reason_text=void.reason_text,
        final_digest=void.final_digest,
        expires_at=void.expires_at,
        signature=signature,
        handwriting=handwriting,
        check=facts.check,
    )
