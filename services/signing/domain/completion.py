"""Completion: every signer has signed and drafting has locked the terms they signed."""

from __future__ import annotations

from datetime import datetime

from services.signing.domain.messages import final_digest
from services.signing.domain.state import NoteSigning
from shared.catalogue.signing import NoteCompleted


def completion_digest(state: NoteSigning) -> str:
    assert state.opened is not None
    return final_digest(
        state.note_id,
        state.opened.note_version,
        state.opened.document_digest,
        [s.signature.value for s in state.signatures],
    )


def complete(
    state: NoteSigning, now: datetime, stamp_svg_sha256: str, stamp_png_sha256: str
) -> NoteCompleted:
    assert state.ready_to_complete()
    assert state.opened is not None
    return NoteCompleted(
        note_version=state.opened.note_version,
        document_digest=state.opened.document_digest,
        final_digest=completion_digest(state),
        completed_at=now,
        signers=state.signed_by(),
        stamp_svg_sha256=stamp_svg_sha256,
        stamp_png_sha256=stamp_png_sha256,
    )
