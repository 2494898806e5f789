"""What every handler needs: the store, the vault, the keys, the providers, the clock."""

from __future__ import annotations

import functools
import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import structlog
from pydantic import BaseModel

from services.identity.adapters import postgres
from services.identity.adapters.providers import (
    BankCardVerifier,
    FaceVerifier,
    RealNameProvider,
    SmsSender,
)
from services.identity.adapters.vault import Vault, derive_key
from services.identity.domain.errors import Refusal
from services.identity.domain.party import Party, fold
from services.identity.settings import IdentityKeys, IdentitySettings
from shared.store import EventStore

Clock = Callable[[], datetime]
Request = TypeVar("Request", bound=BaseModel)
Result = TypeVar("Result", bound=BaseModel)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Providers:
    sms: SmsSender
    real_name: RealNameProvider
    face: FaceVerifier
    bank_card: BankCardVerifier


@dataclass(frozen=True)
class Identity:
    """A party's identity, decrypted for the length of one request."""

    id_number: str
    legal_name: str


@dataclass(frozen=True)
class IdentityContext:
    store: EventStore
    settings: IdentitySettings
    keys: IdentityKeys
    vault: Vault
    providers: Providers
    env: str
    clock: Clock = utc_now

    @property
    def schema(self) -> str:
        return self.store.schema

    @functools.cached_property
    def session_key(self) -> bytes:
        return derive_key(self.keys.hmac_key, "session/v1")

    @functools.cached_property
    def code_key(self) -> bytes:
        return derive_key(self.keys.hmac_key, "one-time-code/v1")

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def seconds(self, value: float) -> timedelta:
        return timedelta(seconds=value)

    def code_hash(self, phone_index: str, purpose: str, code: str) -> str:
        message = f"{phone_index}|{purpose}|{code}".encode()
        return hmac.new(self.code_key, message, hashlib.sha256).hexdigest()

    async def party(self, party_id: uuid.UUID) -> Party:
        events = await self.store.read_stream(party_id)
        return fold(event.payload for event in events)

    async def identity(self, party_id: uuid.UUID) -> Identity | None:
        row = await postgres.find_identity(self.store.pool, self.schema, party_id)
        if row is None:
            return None
        return Identity(
            id_number=self.vault.open(row.kid, row.id_number_sealed, id_context(party_id)),
            legal_name=self.vault.open(row.kid, row.legal_name_sealed, name_context(party_id)),
        )


def id_context(party_id: uuid.UUID) -> str:
    return f"identities.id_number|{party_id}"


def name_context(party_id: uuid.UUID) -> str:
    return f"identities.legal_name|{party_id}"


def phone_context(party_id: uuid.UUID) -> str:
    return f"parties.phone|{party_id}"


def correlation_id() -> uuid.UUID:
    """The command's correlation id (bound by `shared.commands`), so events trace back to it."""
    bound = structlog.contextvars.get_contextvars().get("correlation_id")
    try:
        return uuid.UUID(str(bound))
    except ValueError:
        return uuid.uuid4()


def unknown_party() -> Refusal:
    return Refusal("party_unknown", "no such party", message_zh="用户不存在", field="party_id")
