"""Drafting's own settings: the key that encrypts counterparty contacts, invitation validity."""

from __future__ import annotations

import base64
import hashlib
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MissingKeyError(RuntimeError):
    """Production runs need an explicit `JIETIAO_DRAFTING_KEY`."""


class DraftingSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JIETIAO_DRAFTING_", extra="ignore", frozen=True, populate_by_name=True
    )

    # 32 bytes, URL-safe base64. Required in production; elsewhere a fixed development key is
    # derived so that `jietiao up` works out of the box (never use it for real data).
    key: SecretStr | None = None
    key_id: str = "k1"
    invitation_validity_days: float = Field(7, gt=0)
    env: Literal["dev", "test", "prod"] = Field(
        "dev", validation_alias=AliasChoices("JIETIAO_ENV", "JIETIAO_DRAFTING_ENV")
    )

    def contact_key(self) -> bytes:
        if self.key is not None:
            key = base64.urlsafe_b64decode(self.key.get_secret_value())
            if len(key) != 32:
                raise ValueError("JIETIAO_DRAFTING_KEY must be 32 bytes in URL-safe base64")
            return key
        if self.env == "prod":
            raise MissingKeyError("set JIETIAO_DRAFTING_KEY in production")
        return hashlib.sha256(b"jietiao drafting development key, not for real data").digest()
