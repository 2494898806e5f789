"""Notes: draft from a template, list mine, read one with its timeline, amend, invite, cancel.

Drafting decides who may see or change a note (`get_note` answers `note_not_found` to anyone
who is not a party); every note route asks it first, so everything not yours is a 404.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from services.gateway.http import models as m
from services.gateway.http.auth import Gateway, Session, gateway, require_session
from services.gateway.http.errors import not_found
from services.gateway.readmodel.queries import STATUS_ZH, NoteFilter, ReadModels
from shared.commands import CommandRejected

router = APIRouter(prefix="/api/v1", tags=["notes"])
GW = Annotated[Gateway, Depends(gateway)]
Me = Annotated[Session, Depends(require_session)]


async def note_for(gw: Gateway, note_id: uuid.UUID, me: Session) -> dict[str, Any]:
    """Drafting's view of the note, or 404 when it is not one of the caller's notes."""
    try:
        return await gw.call(
            "drafting", "get_note", {"note_id": str(note_id), "actor_party_id": str(me.party_id)}
        )
    except CommandRejected as rejected:
        if rejected.code in ("note_not_found", "not_found"):
            raise not_found("note_id") from rejected
        raise


def my_role(note: dict[str, Any], me: Session) -> str:
    if note["initiator_party_id"] == str(me.party_id):
        return str(note["initiator_role"])
    return str(note["counterparty"]["role"])


async def signing_state(gw: Gateway, note_id: uuid.UUID) -> dict[str, Any] | None:
    try:
        return await gw.call("signing", "get_note_signing_state", {"note_id": str(note_id)})
    except CommandRejected:
        return None


async def _actor(gw: Gateway, note_id: uuid.UUID, me: Session) -> dict[str, str]:
    """The command's note and actor, once the actor is known to be a party (else 404)."""
    await note_for(gw, note_id, me)
    return {"note_id": str(note_id), "actor_party_id": str(me.party_id)}


@router.post("/notes/preview", response_model=m.ResultOut)
async def preview(body: m.TermsIn, gw: GW) -> dict[str, Any]:
    """Live validation of a form: problems, amounts in Chinese capitals, schedule. Saves nothing."""
    return await gw.call("drafting", "preview", {"terms": body.model_dump(mode="json")["terms"]})


@router.post("/notes", response_model=m.NoteRefOut, status_code=201)
async def draft_note(body: m.DraftIn, gw: GW, me: Me) -> dict[str, Any]:
    request = body.model_dump(mode="json")
    return await gw.call("drafting", "draft_note", {**request, "actor_party_id": str(me.party_id)})


@router.get("/notes", response_model=m.NoteListOut)
async def my_notes(
    gw: GW,
    me: Me,
    role: Literal["lender", "borrower", "payer", "payee", "party_a", "party_b"] | None = None,
    status: Literal[tuple(STATUS_ZH)] | None = None,  # type: ignore[valid-type]
    template: Literal["iou", "receipt", "contract"] | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=50)] = 20,
) -> dict[str, Any]:
    items, total = await ReadModels(gw.store).my_notes(
        me.party_id, NoteFilter(role, status, template), page, page_size
    )
    return {"items": items, "page": page, "page_size": page_size, "total": total}


@router.get("/notes/{note_id}", response_model=m.NoteOut)
async def get_note(note_id: uuid.UUID, gw: GW, me: Me) -> dict[str, Any]:
    note = await note_for(gw, note_id, me)
    reads = ReadModels(gw.store)
    projected = await reads.summary(note_id)
    status = projected[1] if projected else note["status"]
    return {
        "note": note,
        "status": status,
        "status_zh": STATUS_ZH.get(status, status),
        "my_role": my_role(note, me),
        "signing": await signing_state(gw, note_id),
        "timeline": await reads.timeline(note_id),
    }


@router.get("/notes/{note_id}/timeline", response_model=list[m.TimelineEntry])
async def timeline(note_id: uuid.UUID, gw: GW, me: Me) -> list[dict[str, Any]]:
    await note_for(gw, note_id, me)
    return await ReadModels(gw.store).timeline(note_id)


@router.put("/notes/{note_id}/terms", response_model=m.NoteRefOut)
async def amend_terms(note_id: uuid.UUID, body: m.TermsIn, gw: GW, me: Me) -> dict[str, Any]:
    terms = body.model_dump(mode="json")["terms"]
    return await gw.call(
        "drafting", "amend_terms", {**await _actor(gw, note_id, me), "terms": terms}
    )


@router.put("/notes/{note_id}/counterparty", response_model=m.NoteRefOut)
async def amend_counterparty(
    note_id: uuid.UUID, body: m.ContactIn, gw: GW, me: Me
) -> dict[str, Any]:
    return await gw.call(
        "drafting",
        "amend_counterparty_contact",
        {**await _actor(gw, note_id, me), "counterparty": body.model_dump()},
    )


@router.post("/notes/{note_id}/cancel", response_model=m.NoteRefOut)
async def cancel_note(note_id: uuid.UUID, body: m.CancelIn, gw: GW, me: Me) -> dict[str, Any]:
    return await gw.call(
        "drafting", "cancel_note", {**await _actor(gw, note_id, me), "reason": body.reason}
    )


@router.post("/notes/{note_id}/invitation", response_model=m.InvitationOut, status_code=201)
async def invite(
    note_id: uuid.UUID, request: Request, gw: GW, me: Me, reissue: bool = False
) -> dict[str, Any]:
    command = "reissue_invitation" if reissue else "invite_counterparty"
    issued = await gw.call("drafting", command, await _actor(gw, note_id, me))
    return {**issued, "url": f"{request.base_url}invite/{issued['token']}"}


@router.delete("/notes/{note_id}/invitation", response_model=m.NoteRefOut)
async def revoke_invitation(note_id: uuid.UUID, gw: GW, me: Me) -> dict[str, Any]:
    return await gw.call("drafting", "revoke_invitation", await _actor(gw, note_id, me))


@router.post("/notes/{note_id}/submit", response_model=m.ResultOut)
async def submit_for_signing(note_id: uuid.UUID, gw: GW, me: Me) -> dict[str, Any]:
    return await gw.call("drafting", "submit_for_signing", await _actor(gw, note_id, me))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invitation_view(gw: Gateway, token: str) -> dict[str, Any]:
    reads = ReadModels(gw.store)
    found = await reads.invitation(token_hash(token)) if len(token) <= 128 else None
    summary = await reads.summary(found["note_id"]) if found else None
    if found is None or summary is None:
        raise not_found("token")
    note = summary[0]
    state = found["state"]
    if state == "active" and found["expires_at"] <= datetime.now(UTC):
        state = "expired"
    return {
        "template": note.template,
        "your_role": note.counterparty_role,
        "amount": note.amount,
        "title": note.title,
        "due_date": note.due_date,
        "expires_at": found["expires_at"],
        "state": state,
    }


@router.get("/invitations/{token}", response_model=m.InvitationViewOut, tags=["invitations"])
async def open_invitation(token: str, gw: GW) -> dict[str, Any]:
    """What an invitation is for: the one note it opens, without names or other parties' data."""
    return await invitation_view(gw, token)


@router.post("/invitations/{token}/accept", response_model=m.NoteRefOut, tags=["invitations"])
async def accept_invitation(token: str, gw: GW, me: Me) -> dict[str, Any]:
    if len(token) > 128:
        raise not_found("token")
    return await gw.call(
        "drafting", "accept_invitation", {"token": token, "party_id": str(me.party_id)}
    )
