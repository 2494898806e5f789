"""Read-only commands: a note's signing state, its signatures, its 已完成签署 stamp."""

from __future__ import annotations

import base64

from services.signing.adapters import tables
from services.signing.application.appending import load
from services.signing.application.context import SigningContext
from services.signing.application.models import (
    NoteRequest,
    SignaturesResult,
    SignatureView,
    SigningStateResult,
    StampRequest,
    StampResult,
    VoidView,
)
from services.signing.domain.errors import SigningRefused
from services.signing.domain.keys import b64


async def signing_state(ctx: SigningContext, request: NoteRequest) -> SigningStateResult:
    state = await load(ctx, request.note_id)
    opened, void = state.opened, state.open_void
    return SigningStateResult(
        note_id=state.note_id,
        status=state.status.value,
        note_version=opened.note_version if opened else None,
        document_digest=opened.document_digest if opened else None,
        template=opened.template if opened else None,
        signers=list(opened.signers) if opened else [],
        signed_by=list(state.signed_by()),
        next_signer=state.next_signer(),
        final_digest=state.final_digest,
        completed_at=state.completed_at,
        open_void=(
            VoidView(
                void_id=void.void_id,
                requested_by=void.requested_by,
                reason_code=void.reason_code,
                reason_text=void.reason_text,
                expires_at=void.expires_at,
            )
            if void
            else None
        ),
    )


async def signatures(ctx: SigningContext, request: NoteRequest) -> SignaturesResult:
    state = await load(ctx, request.note_id)
    views = []
    async with ctx.store.pool.acquire() as conn:
        for s in state.signatures:
            key = await tables.load_key(conn, ctx.schema, s.party_id)
            public = b64(key.public_key) if key and key.key_id == s.signature.key_id else None
            views.append(
                SignatureView(
                    party_id=s.party_id,
                    role=s.role,
                    sequence=s.sequence,
                    document_digest=s.document_digest,
                    key_id=s.signature.key_id,
                    public_key=public,
                    message_format=s.signature.message_format,
                    signature=s.signature.value,
                    previous_signature=s.previous_signature,
                    handwriting_digest=s.handwriting.digest,
                    method=s.check.method,
                )
            )
    return SignaturesResult(
        note_id=state.note_id,
        note_version=state.opened.note_version if state.opened else None,
        signatures=views,
    )


async def stamp(ctx: SigningContext, request: StampRequest) -> StampResult:
    async with ctx.store.pool.acquire() as conn:
        stored = await tables.load_stamp(conn, ctx.schema, request.note_id)
    if stored is None:
        raise SigningRefused(
            "not_completed",
            "the note has no stamp: it is not completely signed",
            "借条尚未完成签署",
            "note_id",
        )
    content, media_type = (
        (stored.svg, "image/svg+xml") if request.format == "svg" else (stored.png, "image/png")
    )
    return StampResult(
        note_id=stored.note_id,
        media_type=media_type,
        content_base64=base64.b64encode(content).decode(),
        final_digest=stored.final_digest,
        completed_at=stored.completed_at,
    )
