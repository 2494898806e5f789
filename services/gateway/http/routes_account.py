"""Login by SMS code, the session, and the identity checks a party must pass to sign."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.gateway.http import models as m
from services.gateway.http.auth import (
    Gateway,
    Session,
    client_address,
    csrf_token,
    gateway,
    optional_session,
    rate_limit,
    require_session,
)
from services.gateway.http.errors import not_found

router = APIRouter(prefix="/api/v1", tags=["account"])
GW = Annotated[Gateway, Depends(gateway)]
Me = Annotated[Session, Depends(require_session)]


def set_session_cookie(response: Response, gw: Gateway, token: str, expires_at: datetime) -> None:
    response.set_cookie(
        gw.settings.session_cookie,
        token,
        expires=expires_at,
        httponly=True,
        secure=gw.settings.cookie_secure,
        samesite="lax",
        path="/",
    )


@router.post("/login/code", response_model=m.CodeSentOut)
async def request_login_code(body: m.PhoneIn, request: Request, gw: GW) -> dict[str, Any]:
    await rate_limit(gw, f"login:{client_address(request)}", gw.settings.login_limit)
    return await gw.call("identity", "request_login_code", {"phone": body.phone})


@router.post("/login/verify", response_model=m.LoggedInOut)
async def verify_login_code(
    body: m.LoginIn, request: Request, response: Response, gw: GW
) -> dict[str, Any]:
    await rate_limit(gw, f"verify:{client_address(request)}", gw.settings.verify_limit)
    logged_in = await gw.call(
        "identity", "verify_login_code", {"phone": body.phone, "code": body.code}
    )
    token = logged_in["session_token"]
    set_session_cookie(response, gw, token, datetime.fromisoformat(logged_in["expires_at"]))
    return {**logged_in, "csrf_token": csrf_token(token)}


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, gw: GW, me: Me) -> None:
    await gw.call("identity", "revoke_session", {"session_token": me.token})
    response.delete_cookie(gw.settings.session_cookie, path="/")


@router.get("/me", response_model=m.MeOut)
async def me(gw: GW, me: Me) -> dict[str, Any]:
    profile = await gw.call("identity", "party_profile", {"party_id": str(me.party_id)})
    return {
        "party_id": me.party_id,
        "verified": profile["verified"],
        "masked_id": profile["masked_id"],
        "csrf_token": me.csrf,
    }


@router.post("/identity", response_model=m.ResultOut)
async def submit_identity(body: m.IdentityIn, gw: GW, me: Me) -> dict[str, Any]:
    await rate_limit(gw, f"identity:{me.party_id}", gw.settings.verify_limit)
    return await gw.call(
        "identity",
        "submit_identity",
        {"party_id": str(me.party_id), "legal_name": body.legal_name, "id_number": body.id_number},
    )


@router.post("/identity/face", response_model=m.ResultOut)
async def verify_face(body: m.FaceIn, gw: GW, me: Me) -> dict[str, Any]:
    await rate_limit(gw, f"identity:{me.party_id}", gw.settings.verify_limit)
    return await gw.call(
        "identity", "verify_face", {"party_id": str(me.party_id), "image_base64": body.image_base64}
    )


@router.post("/identity/alternative/code", response_model=m.CodeSentOut)
async def request_alternative_code(gw: GW, me: Me) -> dict[str, Any]:
    await rate_limit(gw, f"identity:{me.party_id}", gw.settings.verify_limit)
    return await gw.call("identity", "request_alternative_code", {"party_id": str(me.party_id)})


@router.post("/identity/alternative", response_model=m.ResultOut)
async def verify_alternative(body: m.AlternativeIn, gw: GW, me: Me) -> dict[str, Any]:
    await rate_limit(gw, f"identity:{me.party_id}", gw.settings.verify_limit)
    return await gw.call(
        "identity",
        "verify_alternative",
        {
            "party_id": str(me.party_id),
            "code": body.code,
            "bank_card_number": body.bank_card_number,
        },
    )


@router.get("/dev/inbox", response_model=m.ResultOut, include_in_schema=False)
async def dev_inbox(phone: str, gw: GW) -> dict[str, Any]:
    """The codes the development SMS sender 'sent' (never in production)."""
    if gw.settings.env == "prod":
        raise not_found()
    return await gw.call("identity", "dev_inbox", {"phone": phone[:32]})


__all__ = ["optional_session", "router", "set_session_cookie"]
