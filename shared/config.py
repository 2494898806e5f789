"""Settings from the environment; one place that knows every variable's name."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES: tuple[str, ...] = ("drafting", "identity", "signing", "evidence", "gateway")

_NAMESPACE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


class Settings(BaseSettings):
    """Process-wide settings. `NATS_URL` and `DATABASE_URL` are unprefixed, the rest `JIETIAO_*`."""

    model_config = SettingsConfigDict(env_prefix="JIETIAO_", extra="ignore", frozen=True)

    nats_url: str = Field(
        "nats://127.0.0.1:4222", validation_alias=AliasChoices("NATS_URL", "JIETIAO_NATS_URL")
    )
    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        validation_alias=AliasChoices("DATABASE_URL", "JIETIAO_DATABASE_URL"),
    )
    # Root of every subject, stream name and schema name: one namespace per deployment or test run.
    namespace: str = "jietiao"
    env: Literal["dev", "test", "prod"] = "dev"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"
    stream_replicas: int = Field(1, ge=1, le=5)
    # 0 keeps messages for ever: replay audits need the whole history.
    stream_max_age_seconds: float = Field(0, ge=0)
    # Must outlast the longest relay outage, or a re-published event is delivered twice.
    duplicate_window_seconds: float = Field(1200, gt=0)
    health_host: str = "127.0.0.1"
    health_port: int = Field(0, ge=0, le=65535)
    # A stop that takes longer than this exits hard (it must undercut the orchestrator's grace).
    shutdown_deadline_seconds: float = Field(25, gt=0)
    db_pool_min: int = Field(1, ge=1)
    db_pool_max: int = Field(10, ge=1)

    @field_validator("namespace")
    @classmethod
    def _namespace_is_identifier(cls, value: str) -> str:
        if not _NAMESPACE.match(value):
            raise ValueError("namespace must match [a-z][a-z0-9_]{0,30}")
        return value

    def schema_for(self, service: str) -> str:
        return f"{self.namespace}_{service}"

    @property
    def nats_servers(self) -> list[str]:
        """`NATS_URL` may list a cluster's nodes, comma-separated: a client connects to any one
        that is up and fails over to the others."""
        return nats_servers(self.nats_url)


def nats_servers(url: str) -> list[str]:
    """`nats://a:4222,nats://b:4222` → each server's URL."""
    return [part.strip() for part in url.split(",") if part.strip()]


def service_settings(service: str, base: Settings | None = None) -> Settings:
    """Settings for one service: `<SERVICE>_DATABASE_URL` / `<SERVICE>_NATS_URL` win if set."""
    settings = base or Settings()
    overrides: dict[str, str] = {}
    for field in ("database_url", "nats_url"):
        value = os.environ.get(f"{service.upper()}_{field.upper()}")
        if value:
            overrides[field] = value
    return settings.model_copy(update=overrides) if overrides else settings
