"""Checks of a note's void requests and countersignatures over final digest ‖ reason."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.signing.domain.messages import SignerFacts, VoidFacts, void_message
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
    facts = SignerFacts(
        party_id, signed.role, signed.check.identity_commitment, signed.handwriting.digest, previous
    )
    check_handwriting(signed.handwriting, party_id, verdict)
    check_signature(keys, party_id, signed.signature, void_message(void, facts), verdict)


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
        void = VoidFacts(note_id, request.void_id, final, request.reason_code, request.reason_text)
        _check(keys, void, answer, answer.party_id, request.signature.value, verdict)
        countersigned.add(answer.void_id)
    for request in requests.values():
        void = VoidFacts(note_id, request.void_id, final, request.reason_code, request.reason_text)
        _check(keys, void, request, request.requested_by, None, verdict)
    for _, voided in payloads(events, NoteVoided):
        if voided.void_id not in countersigned or voided.final_digest != final:
            verdict.problems.append(f"void {voided.void_id} lacks both parties' signatures")
        verdict.voided = True
