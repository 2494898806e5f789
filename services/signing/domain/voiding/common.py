"""Rules every step of the void shares."""

from __future__ import annotations

from datetime import timedelta

from services.signing.domain.errors import SigningRefused
from services.signing.domain.state import NoteSigning, Status

DEFAULT_VOID_TTL = timedelta(days=30)
MAX_REASON_TEXT = 500


def require_completed(state: NoteSigning) -> None:
    if state.status is Status.VOIDED:
        raise SigningRefused("note_voided", "the note is already voided", "该借条已废止")
    if state.status is not Status.COMPLETED:
        raise SigningRefused(
            "note_not_completed",
            "only a completed note can be voided; an unsigned one is cancelled by its initiator",
            "只有已完成签署的借条可以废止；未完成的借条请由发起人取消",
        )
