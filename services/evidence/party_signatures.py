"""The parties' signatures in a pack, checked by the signing service's own offline verifier.

Only the events the pack proved are given to it; it rebuilds every signed message itself. This
needs the project (pydantic, RFC 8785), so the standalone verifier uses it only when importable.
"""

from __future__ import annotations

from typing import Any

import shared.catalogue  # noqa: F401 - registers every event type, so pack events can be parsed
from shared.events import Envelope

SIGNED_TYPES = frozenset({"PartySigned", "NoteCompleted", "VoidRequested", "VoidSigned"})


def check_parties(events: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
    if not any(e.get("event_type") in SIGNED_TYPES for e in events):
        return [("parties' signatures", True, "the note carries no signature yet")]
    from services.signing.domain.verification import verify_note

    try:
        envelopes = [Envelope.from_document(e) for e in events]
    except (ValueError, LookupError) as error:
        return [("parties' signatures", False, f"an event cannot be read: {error}")]
    verdict = verify_note(envelopes)
    detail = "; ".join(verdict.problems) or (
        f"{len(verdict.signers)} party signature(s) verify"
        + (", note voided" if verdict.voided else "")
    )
    return [("parties' signatures", verdict.valid, detail)]
