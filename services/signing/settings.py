"""Signing's own settings (`JIETIAO_SIGNING_*`) and the vault keys parsed from them.

- `JIETIAO_SIGNING_KEYS`: `kid:base64key,...`, AES-256 keys wrapping the parties' private
  signing keys; the first encrypts new keys, the others still decrypt older ones (rotation).
  Outside production a missing value falls back to a fixed development key so that
  `jietiao up` works out of the box; with `JIETIAO_ENV=prod` the service refuses to start.
- `JIETIAO_SIGNING_VOID_TTL_DAYS`: how long a void request stays open (default 30 days).
- `JIETIAO_SIGNING_SWEEP_INTERVAL_SECONDS`: how often expired void requests are closed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import timedelta

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MissingKeysError(RuntimeError):
    """Production without its keys: private keys would be wrapped under a key everybody knows."""


class SigningSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIETIAO_SIGNING_", extra="ignore", frozen=True)

    keys: SecretStr | None = None
    void_ttl_days: float = Field(30, gt=0)
    sweep_interval_seconds: float = Field(60, gt=0)

    @property
    def void_ttl(self) -> timedelta:
        return timedelta(days=self.void_ttl_days)


DEVELOPMENT_KID = "dev-1"


def development_key() -> bytes:
    return hashlib.sha256(b"jietiao development key, not for production: signing vault").digest()


def parse_keyring(text: str) -> dict[str, bytes]:
    """`kid:base64key,...` in order, each key 32 bytes; the first is the active one."""
    keys: dict[str, bytes] = {}
    for item in text.split(","):
        kid, sep, encoded = item.strip().partition(":")
        if not sep or not kid or kid in keys:
            raise ValueError("JIETIAO_SIGNING_KEYS is `kid:base64key,...` with distinct kids")
        try:
            raw = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as error:
            raise ValueError(f"signing vault key {kid} is not valid base64") from error
        if len(raw) != 32:
            raise ValueError(f"signing vault key {kid} must be 32 bytes, not {len(raw)}")
        keys[kid] = raw
    return keys


def vault_keys(settings: SigningSettings, env: str) -> dict[str, bytes]:
    if settings.keys is None:
        if env == "prod":
            raise MissingKeysError(
                "signing refuses to start in production without JIETIAO_SIGNING_KEYS"
            )
        return {DEVELOPMENT_KID: development_key()}
    return parse_keyring(settings.keys.get_secret_value())
