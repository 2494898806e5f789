"""Session tokens: `s1.<base64url(JCS claims)>.<base64url(HMAC-SHA256)>`.

The signature makes a token unforgeable and its expiry readable without the database;
revocation still needs the sessions table, which `resolve_session` consults every time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from services.identity.domain.errors import Refusal
from shared.events import canonical_bytes, format_utc

PREFIX = "s1"


@dataclass(frozen=True)
class SessionClaims:
    session_id: uuid.UUID
    party_id: uuid.UUID
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, signed: str) -> bytes:
    return hmac.new(key, signed.encode(), hashlib.sha256).digest()


def encode_session(claims: SessionClaims, key: bytes) -> str:
    doc = {
        "sid": str(claims.session_id),
        "pid": str(claims.party_id),
        "exp": format_utc(claims.expires_at),
    }
    signed = f"{PREFIX}.{_b64(canonical_bytes(doc))}"
    return f"{signed}.{_b64(_mac(key, signed))}"


def session_refusal(code: str) -> Refusal:
    messages = {
        "session_invalid": ("invalid session token: log in again", "登录凭证无效，请重新登录"),
        "session_expired": ("the session has expired: log in again", "登录已过期，请重新登录"),
        "session_revoked": ("the session was logged out", "已退出登录，请重新登录"),
    }
    message, message_zh = messages[code]
    return Refusal(code, message, message_zh, field="session_token")


def decode_session(token: str, key: bytes, now: datetime) -> SessionClaims:
    try:
        prefix, body, mac = token.split(".")
        if prefix != PREFIX or not hmac.compare_digest(_unb64(mac), _mac(key, f"{prefix}.{body}")):
            raise ValueError("signature")
        doc = json.loads(_unb64(body))
        claims = SessionClaims(
            uuid.UUID(doc["sid"]), uuid.UUID(doc["pid"]), datetime.fromisoformat(doc["exp"])
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise session_refusal("session_invalid") from error
    if now >= claims.expires_at:
        raise session_refusal("session_expired")
    return claims
