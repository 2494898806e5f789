"""Who is asking: sessions (cookie for the web app, bearer for programs), CSRF, rate limits.

Identity owns sessions; the gateway only passes the token to `resolve_session`. A cookie
request that changes something must also carry the CSRF token, which is derived from the
session token (SHA-256 with a domain prefix): a page of ours can embed it, another site
cannot compute it, and nothing needs storing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from services.gateway.http.errors import ApiError, unauthenticated
from services.gateway.settings import GatewaySettings
from shared.commands import CommandClient, CommandRejected
from shared.store import EventStore

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def csrf_token(session_token: str) -> str:
    return hashlib.sha256(b"jietiao-csrf:" + session_token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    party_id: uuid.UUID
    token: str
    by_cookie: bool

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


class Gateway:
    """What request handlers need: the command client, the read-model store, the settings."""

    def __init__(
        self, commands: CommandClient, store: EventStore, settings: GatewaySettings
    ) -> None:
        self.commands = commands
        self.store = store
        self.settings = settings

    async def call(
        self, service: str, name: str, request: BaseModel | Mapping[str, Any]
    ) -> dict[str, Any]:
        body = request if isinstance(request, BaseModel) else dict(request)
        return await self.commands.call(service, name, body)


def gateway(request: Request) -> Gateway:
    gw: Gateway = request.app.state.gateway
    return gw


def _presented_token(request: Request, cookie_name: str) -> tuple[str, bool] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    cookie = request.cookies.get(cookie_name)
    return (cookie, True) if cookie else None


async def optional_session(request: Request) -> Session | None:
    gw = gateway(request)
    presented = _presented_token(request, gw.settings.session_cookie)
    if presented is None:
        return None
    token, by_cookie = presented
    if len(token) > 512:
        return None
    try:
        resolved = await gw.call("identity", "resolve_session", {"session_token": token})
    except CommandRejected:
        return None
    return Session(uuid.UUID(resolved["party_id"]), token, by_cookie)


async def require_session(request: Request) -> Session:
    session = await optional_session(request)
    if session is None:
        raise unauthenticated()
    if session.by_cookie and request.method not in SAFE_METHODS:
        check_csrf(session, request.headers.get(CSRF_HEADER))
    return session


def check_csrf(session: Session, presented: str | None) -> None:
    if not presented or not hmac.compare_digest(presented, session.csrf):
        raise ApiError(
            403, "csrf_failed", "missing or wrong CSRF token", "安全校验失败，请刷新页面后重试"
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def rate_limit(gw: Gateway, bucket: str, limit: int) -> None:
    """Count one hit in the current fixed window; refuse beyond `limit`."""
    window = gw.settings.rate_window_seconds
    now = datetime.now(UTC)
    start = datetime.fromtimestamp(now.timestamp() // window * window, UTC)
    schema = gw.store.schema
    hits = await gw.store.pool.fetchval(
        f"INSERT INTO {schema}.rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) "
        "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = "
        f"{schema}.rate_limits.hits + 1 RETURNING hits",
        bucket,
        start,
    )
    await gw.store.pool.execute(
        f"DELETE FROM {schema}.rate_limits WHERE window_start < $1",
        start - timedelta(seconds=window),
    )
    if hits > limit:
        raise ApiError(
            429, "rate_limited", "too many attempts, wait and try again", "尝试次数过多，请稍后再试"
        )
