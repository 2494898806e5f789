"""What every use case needs: the store, identity, the vault, settings and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from services.signing.adapters.identity import IdentityPort
from services.signing.adapters.vault import Vault
from services.signing.settings import SigningSettings
from shared.store import EventStore

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SigningContext:
    store: EventStore
    identity: IdentityPort
    vault: Vault
    settings: SigningSettings = field(default_factory=SigningSettings)
    clock: Clock = utc_now

    @property
    def schema(self) -> str:
        return self.store.schema
