"""Identity's own settings (`JIETIAO_IDENTITY_*`) and the keys parsed from them.

- `JIETIAO_IDENTITY_KEYS`: `kid:base64key,...`, AES-256 keys of the PII vault; the first is the
  one that encrypts, the others still decrypt older records (rotation).
- `JIETIAO_IDENTITY_HMAC_KEY`: base64 of at least 32 bytes; blind indexes, identity
  commitments, session tokens and code hashes use keys derived from it.
- `JIETIAO_IDENTITY_TICKET_KEY`: `kid:base64` of a 32-byte Ed25519 seed signing the tickets.

Outside production a missing key falls back to a fixed development key (so `jietiao up` works
out of the box); in production the service refuses to start without all three.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.identity.domain.codes import CodePolicy


class MissingKeysError(RuntimeError):
    """Production without its keys: starting would encrypt under a key everybody knows."""


class IdentitySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIETIAO_IDENTITY_", extra="ignore", frozen=True)

    keys: SecretStr | None = None
    hmac_key: SecretStr | None = None
    ticket_key: SecretStr | None = None
    code_ttl_seconds: float = Field(300, gt=0)
    code_max_attempts: int = Field(5, ge=1)
    code_min_interval_seconds: float = Field(60, ge=0)
    code_max_per_hour: int = Field(5, ge=1)
    session_ttl_seconds: float = Field(7 * 24 * 3600, gt=0)
    # How long a face or alternative check stays good for issuing one ticket.
    check_window_seconds: float = Field(600, gt=0)
    ticket_ttl_seconds: float = Field(300, gt=0)

    def code_policy(self) -> CodePolicy:
        return CodePolicy(
            ttl=timedelta(seconds=self.code_ttl_seconds),
            max_attempts=self.code_max_attempts,
            min_interval=timedelta(seconds=self.code_min_interval_seconds),
            max_per_hour=self.code_max_per_hour,
        )


@dataclass(frozen=True)
class IdentityKeys:
    vault_keys: dict[str, bytes]  # insertion order: the active key first
    hmac_key: bytes
    ticket_kid: str
    ticket_key: Ed25519PrivateKey

    @property
    def active_kid(self) -> str:
        return next(iter(self.vault_keys))


def _development_key(label: str) -> bytes:
    return hashlib.sha256(f"jietiao development key, not for production: {label}".encode()).digest()


def _decode(text: str, what: str, length: int | None = None) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as error:
        raise ValueError(f"{what} is not valid base64") from error
    if length is not None and len(raw) != length:
        raise ValueError(f"{what} must be {length} bytes, not {len(raw)}")
    return raw


def parse_keyring(text: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for item in text.split(","):
        kid, sep, encoded = item.strip().partition(":")
        if not sep or not kid or kid in keys:
            raise ValueError("JIETIAO_IDENTITY_KEYS is `kid:base64key,...` with distinct kids")
        keys[kid] = _decode(encoded, f"vault key {kid}", 32)
    return keys


def load_keys(settings: IdentitySettings, env: str) -> IdentityKeys:
    missing = [n for n in ("keys", "hmac_key", "ticket_key") if getattr(settings, n) is None]
    if missing and env == "prod":
        names = ", ".join(f"JIETIAO_IDENTITY_{n.upper()}" for n in missing)
        raise MissingKeysError(f"identity refuses to start in production without {names}")
    vault = parse_keyring(settings.keys.get_secret_value()) if settings.keys else None
    hmac_key = (
        _decode(settings.hmac_key.get_secret_value(), "JIETIAO_IDENTITY_HMAC_KEY")
        if settings.hmac_key
        else _development_key("hmac")
    )
    if len(hmac_key) < 32:
        raise ValueError("JIETIAO_IDENTITY_HMAC_KEY must be at least 32 bytes")
    ticket_kid, seed = "dev-ticket-1", _development_key("ticket")
    if settings.ticket_key:
        ticket_kid, _, encoded = settings.ticket_key.get_secret_value().partition(":")
        seed = _decode(encoded, "JIETIAO_IDENTITY_TICKET_KEY", 32)
    return IdentityKeys(
        vault_keys=vault or {"dev-1": _development_key("vault")},
        hmac_key=hmac_key,
        ticket_kid=ticket_kid,
        ticket_key=Ed25519PrivateKey.from_private_bytes(seed),
    )
