"""Signing, declining and voiding, each authorised by a fresh single-use identity ticket.

The gateway fetches the digest to sign from the signing service (never from the client), asks
identity for a ticket over exactly that digest, and passes both to signing.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from services.gateway.http import models as m
from services.gateway.http.auth import Gateway, Session, gateway, require_session
from services.gateway.http.errors import ApiError, not_found
from services.gateway.http.routes_notes import note_for, signing_state
from services.signing.domain.errors import SigningRefused
from services.signing.domain.handwriting import validated_handwriting

router = APIRouter(prefix="/api/v1", tags=["signing"])
GW = Annotated[Gateway, Depends(gateway)]
Me = Annotated[Session, Depends(require_session)]


def _conflict(code: str, en: str, zh: str) -> ApiError:
    return ApiError(409, code, en, zh)


async def open_state(gw: Gateway, note_id: uuid.UUID, wait: float = 5.0) -> dict[str, Any]:
    """Signing's state once it has caught up with drafting's freeze (it follows by events)."""
    for _ in range(int(wait / 0.2)):
        state = await signing_state(gw, note_id)
        if state and state["status"] != "awaiting_document":
            return state
        await asyncio.sleep(0.2)
    raise _conflict("not_open_for_signing", "the note is not open for signing", "借条尚未进入签署")


async def ticket(gw: Gateway, me: Session, note_id: uuid.UUID, digest: str, purpose: str) -> str:
    issued = await gw.call(
        "identity",
        "issue_ticket",
        {
            "party_id": str(me.party_id),
            "note_id": str(note_id),
            "document_digest": digest,
            "purpose": purpose,
        },
    )
    return str(issued["ticket"])


async def keep_handwriting(
    gw: Gateway, note_id: uuid.UUID, me: Session, purpose: str, body: m.SignIn
) -> None:
    await gw.store.pool.execute(
        f"INSERT INTO {gw.store.schema}.handwriting (note_id, party_id, purpose, png) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (note_id, party_id, purpose) "
        "DO UPDATE SET png = excluded.png, created_at = now()",
        note_id,
        me.party_id,
        purpose,
        base64.b64decode(body.handwriting.png_base64),
    )


def _require_handwriting(body: m.SignIn) -> None:
    """Signing's own (pure) handwriting rules, run before identity's single-use check is spent
    on a ticket that signing would then refuse."""
    try:
        png = base64.b64decode(body.handwriting.png_base64, validate=True)
        validated_handwriting(body.handwriting.strokes, png)
    except SigningRefused as refused:
        raise ApiError(
            422, refused.code, refused.message, refused.message_zh, refused.field
        ) from refused
    except ValueError as error:
        raise ApiError(
            422,
            "handwriting_png_invalid",
            "png_base64 is not a PNG in base64",
            "签名图片编码错误",
            "handwriting.png_base64",
        ) from error


def _require_intent(body: m.SignIn) -> None:
    if not body.intent_confirmed:
        raise ApiError(
            422,
            "intent_not_confirmed",
            "confirm that you have read the note and mean to sign it",
            "请确认已阅读并同意签署",
            "intent_confirmed",
        )


@router.post("/notes/{note_id}/sign", response_model=m.ResultOut)
async def sign(note_id: uuid.UUID, body: m.SignIn, gw: GW, me: Me) -> dict[str, Any]:
    await note_for(gw, note_id, me)
    _require_intent(body)
    _require_handwriting(body)
    state = await open_state(gw, note_id)
    digest = state["document_digest"]
    if state["status"] != "open" or not digest:
        raise _conflict(
            "not_open_for_signing", "the note is not open for signing", "借条不在签署中"
        )
    signature = await _signature(gw, me, note_id, body, digest, "sign")
    signed = await gw.call("signing", "sign", {"document_digest": digest, **signature})
    await keep_handwriting(gw, note_id, me, "sign", body)
    return signed


@router.post("/notes/{note_id}/decline", response_model=m.ResultOut)
async def decline(note_id: uuid.UUID, body: m.DeclineIn, gw: GW, me: Me) -> dict[str, Any]:
    await note_for(gw, note_id, me)
    state = await open_state(gw, note_id)
    return await gw.call(
        "signing",
        "decline",
        {
            "note_id": str(note_id),
            "party_id": str(me.party_id),
            "document_digest": state["document_digest"] or "0" * 64,
            "reason": body.reason,
        },
    )


async def _signature(
    gw: Gateway, me: Session, note_id: uuid.UUID, body: m.SignIn, digest: str, purpose: str
) -> dict[str, Any]:
    """What every signing command carries: who, a fresh ticket, the intent and the handwriting.
    Called last, once nothing else can refuse: the ticket uses up the party's identity check."""
    return {
        "note_id": str(note_id),
        "party_id": str(me.party_id),
        "ticket": await ticket(gw, me, note_id, digest, purpose),
        "intent_confirmed": True,
        "handwriting": body.handwriting.model_dump(),
    }


async def _completed(gw: Gateway, note_id: uuid.UUID) -> dict[str, Any]:
    state = await signing_state(gw, note_id)
    if not state or not state.get("final_digest"):
        raise _conflict("note_not_completed", "the note is not completed", "借条尚未完成签署")
    return state


def _open_void(state: dict[str, Any]) -> str:
    void = state.get("open_void")
    if not void:
        raise _conflict("void_not_open", "there is no open void request", "没有进行中的废止申请")
    return str(void["void_id"])


@router.post("/notes/{note_id}/void", response_model=m.ResultOut)
async def request_void(note_id: uuid.UUID, body: m.VoidRequestIn, gw: GW, me: Me) -> dict[str, Any]:
    await note_for(gw, note_id, me)
    _require_intent(body)
    _require_handwriting(body)
    state = await _completed(gw, note_id)
    reason = {"reason_code": body.reason_code, "reason_text": body.reason_text}
    signature = await _signature(gw, me, note_id, body, state["final_digest"], "void")
    return await gw.call("signing", "request_void", {**reason, **signature})


@router.post("/notes/{note_id}/void/sign", response_model=m.ResultOut)
async def sign_void(note_id: uuid.UUID, body: m.SignIn, gw: GW, me: Me) -> dict[str, Any]:
    await note_for(gw, note_id, me)
    _require_intent(body)
    _require_handwriting(body)
    state = await _completed(gw, note_id)
    void_id = _open_void(state)
    signature = await _signature(gw, me, note_id, body, state["final_digest"], "void")
    return await gw.call("signing", "sign_void", {"void_id": void_id, **signature})


async def _answer_void(
    command: str, note_id: uuid.UUID, reason: str, gw: Gateway, me: Session
) -> dict[str, Any]:
    await note_for(gw, note_id, me)
    state = await _completed(gw, note_id)
    return await gw.call(
        "signing",
        command,
        {
            "note_id": str(note_id),
            "party_id": str(me.party_id),
            "void_id": _open_void(state),
            "reason": reason,
        },
    )


@router.post("/notes/{note_id}/void/decline", response_model=m.ResultOut)
async def decline_void(note_id: uuid.UUID, body: m.VoidAnswerIn, gw: GW, me: Me) -> dict[str, Any]:
    return await _answer_void("decline_void", note_id, body.reason, gw, me)


@router.post("/notes/{note_id}/void/withdraw", response_model=m.ResultOut)
async def withdraw_void(note_id: uuid.UUID, gw: GW, me: Me) -> dict[str, Any]:
    return await _answer_void("withdraw_void", note_id, "", gw, me)


@router.get("/notes/{note_id}/signatures", response_model=m.ResultOut)
async def signatures(note_id: uuid.UUID, gw: GW, me: Me) -> dict[str, Any]:
    await note_for(gw, note_id, me)
    return await gw.call("signing", "get_signatures", {"note_id": str(note_id)})


@router.get(
    "/notes/{note_id}/handwriting/{party_id}.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def handwriting(note_id: uuid.UUID, party_id: uuid.UUID, gw: GW, me: Me) -> Response:
    """A party's handwritten signature on the note, for the note's parties."""
    await note_for(gw, note_id, me)
    png = await gw.store.pool.fetchval(
        f"SELECT png FROM {gw.store.schema}.handwriting "
        "WHERE note_id = $1 AND party_id = $2 AND purpose = 'sign'",
        note_id,
        party_id,
    )
    if png is None:
        raise not_found("party_id")
    return Response(bytes(png), media_type="image/png")


@router.get(
    "/notes/{note_id}/stamp.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
async def stamp(note_id: uuid.UUID, gw: GW, me: Me) -> Response:
    """The red 已完成签署 seal of a completed note."""
    await note_for(gw, note_id, me)
    stamped = await gw.call("signing", "stamp", {"note_id": str(note_id), "format": "svg"})
    return Response(base64.b64decode(stamped["content_base64"]), media_type=stamped["media_type"])
