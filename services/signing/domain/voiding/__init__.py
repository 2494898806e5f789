"""The two-party void (废止) of a completed note.

Only a completed note can be voided; either party asks, with a reason and a signature over
final digest ‖ reason; only the *other* party can sign it, so neither party ever voids alone.
One request is open at a time; it ends signed (→ NoteVoided), declined, withdrawn by its
requester, or expired.
"""

from services.signing.domain.voiding.answers import (
    check_can_answer,
    countersigner_facts,
    decline_void,
    expire_void,
    open_void_facts,
    require_open_void,
    void_signed,
    withdraw_void,
)
from services.signing.domain.voiding.common import DEFAULT_VOID_TTL, MAX_REASON_TEXT
from services.signing.domain.voiding.requests import (
    check_can_request,
    requester_facts,
    void_facts,
    void_requested,
)

__all__ = [
    "DEFAULT_VOID_TTL",
    "MAX_REASON_TEXT",
    "check_can_answer",
    "check_can_request",
    "countersigner_facts",
    "decline_void",
    "expire_void",
    "open_void_facts",
    "requester_facts",
    "require_open_void",
    "void_facts",
    "void_requested",
    "void_signed",
    "withdraw_void",
]
