"""Checks of a note's void requests and countersignatures over final digest ‖ reason."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.signing.domain.messages import VOID_FORMAT, SignerFacts, VoidFacts, void_message
from services.signing.domain.verification.checks import (
    Keys,
    Verdict,
    check_handwriting,
    check_signature,
    payloads,
)
from shared.catalogue.signing import NoteVoided, VoidRequested, VoidSigned
from shared.events import Envelope


def _check(
    keys: Keys,
    void: VoidFacts,
    signed: VoidRequested | VoidSigned,
    party_id: uuid.UUID,
    previous: str | None,
    verdict: Verdict,
) -> None:
    facts = SignerFacts(party_id, signed.role, signed.handwriting.digest, previous, signed.check)
    check_handwriting(signed.handwriting, party_id, verdict)
    message = (VOID_FORMAT, void_message(void, facts))
    check_signature(keys, party_id, signed.signature, message, verdict)


def _void(note_id: uuid.UUID, request: VoidRequested, final: str) -> VoidFacts:
    return VoidFacts(
        note_id,
        request.void_id,
        final,
        request.reason_code,
        request.reason_text,
        request.expires_at,
    )


def verify_voids(
    note_id: uuid.UUID, events: Sequence[Envelope], final: str, keys: Keys, verdict: Verdict
) -> None:
    requests = {r.void_id: r for _, r in payloads(events, VoidRequested)}
    countersigned: set[uuid.UUID] = set()
    for _, answer in payloads(events, VoidSigned):
        request = requests.get(answer.void_id)
        if request is None or answer.party_id == request.requested_by:
            verdict.problems.append(
                f"void {answer.void_id} is not countersigned by the other party"
            )
            continue
        _check(
            keys,
            _void(note_id, request, final),
            answer,
            answer.party_id,
            request.signature.value,
            verdict,
        )
        countersigned.add(answer.void_id)
    for request in requests.values():
        if request.final_digest != final:
            verdict.problems.append(f"void {request.void_id} names another final digest")
        _check(keys, _void(note_id, request, final), request, request.requested_by, None, verdict)
    for _, voided in payloads(events, NoteVoided):
        request = requests.get(voided.void_id)
        reason = request.reason_code if request else None
        if voided.void_id not in countersigned or (voided.final_digest, reason) != (
            final,
            voided.reason_code,
        ):
            verdict.problems.append(f"void {voided.void_id} lacks both parties' signatures")
        verdict.voided = True
