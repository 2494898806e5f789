"""Answering a void request: only the *other* party signs or declines it, so nobody voids a
note alone; its requester may withdraw it; its time runs out."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.signing.domain.errors import SigningRefused
from services.signing.domain.messages import SignerFacts, VoidFacts
from services.signing.domain.signatures import require_party
from services.signing.domain.state import NoteSigning, OpenVoid, Status
from services.signing.domain.voiding.common import MAX_REASON_TEXT, require_completed
from services.signing.domain.voiding.requests import void_facts
from shared.catalogue.signing import (
    DigitalSignature,
    HandwritingRef,
    NoteVoided,
    SignerCheck,
    VoidDeclined,
    VoidExpired,
    VoidSigned,
    VoidWithdrawn,
)


def require_open_void(state: NoteSigning, void_id: uuid.UUID, now: datetime) -> OpenVoid:
    require_completed(state)
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
    require_party(state, party_id)
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
    state: NoteSigning,
    party_id: uuid.UUID,
    void: OpenVoid,
    handwriting: HandwritingRef,
    check: SignerCheck,
) -> SignerFacts:
    return SignerFacts(
        party_id=party_id,
        role=state.role_of(party_id) or "",
        handwriting_digest=handwriting.digest,
        previous_signature=void.signature,
        check=check,
    )


def open_void_facts(state: NoteSigning, void: OpenVoid) -> VoidFacts:
    return void_facts(state, void.void_id, void.reason_code, void.reason_text, void.expires_at)


def void_signed(
    state: NoteSigning,
    void: OpenVoid,
    facts: SignerFacts,
    handwriting: HandwritingRef,
    signature: DigitalSignature,
    now: datetime,
) -> list[VoidSigned | NoteVoided]:
    assert state.final_digest is not None
    return [
        VoidSigned(
            void_id=void.void_id,
            party_id=facts.party_id,
            role=facts.role,
            signature=signature,
            handwriting=handwriting,
            check=facts.check,
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
    require_party(state, party_id)
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
