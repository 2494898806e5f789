"""The zh-CN, mobile-first web app: pages rendered on the server, actions sent by a little
JavaScript to the same JSON API programs use (with the CSRF token of the page's session)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.gateway.http.auth import (
    Gateway,
    Session,
    check_csrf,
    gateway,
    optional_session,
)
from services.gateway.http.errors import ApiError
from services.gateway.http.routes_evidence import verify_document
from services.gateway.http.routes_notes import invitation_view, my_role, note_for, signing_state
from services.gateway.readmodel.queries import STATUS_ZH, NoteFilter, ReadModels
from services.gateway.web.labels import LABELS
from shared.commands import CommandRejected

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
TEMPLATES.env.globals.update(labels=LABELS, status_zh=STATUS_ZH)
router = APIRouter(include_in_schema=False)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def in_shanghai(when: datetime) -> str:
    """Times are shown, like legal dates, in China Standard Time."""
    return when.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


TEMPLATES.env.filters["cst"] = in_shanghai
GW = Annotated[Gateway, Depends(gateway)]
MaybeMe = Annotated[Session | None, Depends(optional_session)]


def page(request: Request, name: str, me: Session | None, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request, name, {"me": me, "csrf": me.csrf if me else "", **context}
    )


def to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


@router.get("/")
async def home(me: MaybeMe) -> RedirectResponse:
    return RedirectResponse("/notes" if me else "/login", status_code=303)


@router.get("/login")
async def login(request: Request, gw: GW, me: MaybeMe, next: str = "/notes") -> Response:
    safe_next = next if next.startswith("/") and not next.startswith("//") else "/notes"
    # Outside production no SMS is really sent: the page shows the code the dev sender kept.
    dev = gw.settings.env != "prod"
    return page(request, "login.html", me, next=safe_next, dev=dev)


@router.get("/notes")
async def notes(request: Request, gw: GW, me: MaybeMe, role: str | None = None) -> Response:
    if me is None:
        return to_login(request)
    role = role if role in ("lender", "borrower") else None
    items, total = await ReadModels(gw.store).my_notes(me.party_id, NoteFilter(role=role), 1, 50)
    return page(request, "notes.html", me, items=items, total=total, role=role)


@router.get("/notes/new")
async def choose_template(request: Request, me: MaybeMe) -> Response:
    if me is None:
        return to_login(request)
    return page(request, "choose.html", me)


@router.get("/notes/new/{template}")
async def new_note(request: Request, template: str, gw: GW, me: MaybeMe) -> Response:
    if me is None:
        return to_login(request)
    if template not in ("iou", "receipt", "contract"):
        return RedirectResponse("/notes/new", status_code=303)
    profile = await gw.call("identity", "party_profile", {"party_id": str(me.party_id)})
    return page(request, "new.html", me, template=template, verified=profile["verified"])


@router.get("/verify")
async def verify_identity(request: Request, gw: GW, me: MaybeMe, next: str = "/notes") -> Response:
    if me is None:
        return to_login(request)
    profile = await gw.call("identity", "party_profile", {"party_id": str(me.party_id)})
    safe_next = next if next.startswith("/") and not next.startswith("//") else "/notes"
    return page(request, "verify.html", me, profile=profile, next=safe_next)


async def _note_page(gw: Gateway, note_id: uuid.UUID, me: Session) -> dict[str, Any]:
    note = await note_for(gw, note_id, me)
    reads = ReadModels(gw.store)
    projected = await reads.summary(note_id)
    return {
        "note": note,
        "status": projected[1] if projected else "draft",
        "my_role": my_role(note, me),
        "is_initiator": note["initiator_party_id"] == str(me.party_id),
        "signing": await signing_state(gw, note_id),
        "timeline": await reads.timeline(note_id),
        "party_id": str(me.party_id),
    }


@router.get("/notes/{note_id}")
async def note(request: Request, note_id: uuid.UUID, gw: GW, me: MaybeMe) -> Response:
    if me is None:
        return to_login(request)
    return page(request, "note.html", me, **await _note_page(gw, note_id, me))


@router.post("/notes/{note_id}/invite")
async def invite(
    request: Request,
    note_id: uuid.UUID,
    gw: GW,
    me: MaybeMe,
    csrf_token: Annotated[str, Form()] = "",
    reissue: Annotated[str, Form()] = "",
) -> Response:
    if me is None:
        return to_login(request)
    check_csrf(me, csrf_token)
    await note_for(gw, note_id, me)
    command = "reissue_invitation" if reissue else "invite_counterparty"
    try:
        issued = await gw.call(
            "drafting", command, {"note_id": str(note_id), "actor_party_id": str(me.party_id)}
        )
    except CommandRejected as rejected:
        return page(request, "problem.html", me, problem=rejected, back=f"/notes/{note_id}")
    url = f"{request.base_url}invite/{issued['token']}"
    qr = segno.make(url, error="m").svg_data_uri(scale=5, dark="#222")
    return page(
        request, "invite.html", me, url=url, qr=qr, note_id=note_id, expires=issued["expires_at"]
    )


@router.get("/notes/{note_id}/sign")
async def sign_page(
    request: Request, note_id: uuid.UUID, gw: GW, me: MaybeMe, kind: str = "sign"
) -> Response:
    if me is None:
        return to_login(request)
    kind = kind if kind in ("sign", "void", "void_sign") else "sign"
    context = await _note_page(gw, note_id, me)
    return page(request, "sign.html", me, kind=kind, **context)


@router.get("/notes/{note_id}/evidence")
async def evidence(request: Request, note_id: uuid.UUID, gw: GW, me: MaybeMe) -> Response:
    if me is None:
        return to_login(request)
    await note_for(gw, note_id, me)
    verdict: dict[str, Any] | None = None
    try:
        pack = await gw.call("evidence", "evidence_pack", {"note_id": str(note_id)})
        verdict = await verify_document(gw, pack["document"])
    except CommandRejected:
        pack = None
    return page(request, "evidence.html", me, note_id=note_id, pack=pack, verdict=verdict)


@router.get("/invite/{token}")
async def open_invitation(request: Request, token: str, gw: GW, me: MaybeMe) -> Response:
    try:
        view = await invitation_view(gw, token)
    except ApiError:
        view = None
    profile = (
        await gw.call("identity", "party_profile", {"party_id": str(me.party_id)}) if me else None
    )
    return page(request, "invitation.html", me, view=view, token=token, profile=profile)


@router.get("/check")
async def public_verifier(request: Request, me: MaybeMe) -> Response:
    """Anyone may check an evidence pack or receipt here, without logging in."""
    return page(request, "check.html", me, verdict=None)


@router.post("/check")
async def public_verify(
    request: Request, gw: GW, me: MaybeMe, document: Annotated[str, Form(max_length=20_000_000)]
) -> Response:
    try:
        parsed = json.loads(document)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        verdict = {
            "ok": False,
            "kind": "?",
            "checks": [{"name": "JSON", "ok": False, "detail": "不是 JSON 对象"}],
        }
    else:
        verdict = await verify_document(gw, parsed)
    return page(request, "check.html", me, verdict=verdict)
