"""The gateway's own settings: cookies, rate limits and the session lifetime it trusts."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIETIAO_GATEWAY_", extra="ignore", frozen=True)

    # Browsers treat localhost as a secure context, so secure cookies work in development too.
    cookie_secure: bool = True
    session_cookie: str = "jt_session"
    # Per client address and window: requests of a login code, code and identity verifications.
    login_limit: int = Field(10, ge=1)
    verify_limit: int = Field(20, ge=1)
    rate_window_seconds: int = Field(600, ge=1)
    page_size_max: int = Field(50, ge=1)
    env: Literal["dev", "test", "prod"] = Field(
        "dev", validation_alias=AliasChoices("JIETIAO_ENV", "JIETIAO_GATEWAY_ENV")
    )
