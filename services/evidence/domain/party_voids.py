"""A note's void requests and countersignatures over final digest ‖ reason ‖ expiry, checked as
signing's `verify_voids` checks them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.evidence.domain.party_events import VoidAnswer, Voided, VoidRequest
from services.evidence.domain.party_keys import Keys, check_handwriting, check_signature
from services.evidence.domain.party_messages import void_message
from services.evidence.domain.party_reading import payloads


def _check(
    keys: Keys,
    void: tuple[str, VoidRequest, str],
    signer: tuple[str, VoidRequest | VoidAnswer],
    previous: str | None,
) -> list[str]:
    note_id, request, final = void
    party_id, signed = signer
    problems = check_handwriting(signed.handwriting, party_id)
    message = void_message(note_id, request, final, signer, previous)
    return problems + check_signature(keys, party_id, signed.signature, message)


def verify_voids(
    note_id: str, events: Sequence[Mapping[str, Any]], final: str, keys: Keys, problems: list[str]
) -> bool:
    """Whether the note was voided; every problem with its voids is added to `problems`."""
    requests = {r.void_id: r for r in payloads(events, "VoidRequested", VoidRequest)}
    countersigned: set[str] = set()
    for answer in payloads(events, "VoidSigned", VoidAnswer):
        request = requests.get(answer.void_id)
        if request is None or answer.party_id == request.requested_by:
            problems.append(f"void {answer.void_id} is not countersigned by the other party")
            continue
        void = (note_id, request, final)
        problems += _check(keys, void, (answer.party_id, answer), request.signature.value)
        countersigned.add(answer.void_id)
    for request in requests.values():
        if request.final_digest != final:
            problems.append(f"void {request.void_id} names another final digest")
        problems += _check(keys, (note_id, request, final), (request.requested_by, request), None)
    voided = False
    for done in payloads(events, "NoteVoided", Voided):
        request = requests.get(done.void_id)
        reason = request.reason_code if request else None
        if done.void_id not in countersigned or (done.final_digest, reason) != (
            final,
            done.reason_code,
        ):
            problems.append(f"void {done.void_id} lacks both parties' signatures")
        voided = True
    return voided
