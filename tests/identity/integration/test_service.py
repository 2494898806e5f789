"""The service as the runtime wires it, its refusal to run in production without keys, and key
rotation over stored records."""

from __future__ import annotations

import base64
import os

import asyncpg
import pytest
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from pydantic import SecretStr

from services.identity.app import service
from services.identity.settings import MissingKeysError
from shared.commands import CommandClient, serve_commands
from shared.config import Settings
from shared.runtime import ServiceContext
from shared.store import EventStore
from shared.subjects import Naming
from tests.identity.integration.support import answering, running_identity


def _context(settings: Settings, pool: asyncpg.Pool, nc: NatsClient) -> ServiceContext:
    store = EventStore(pool, settings.schema_for("identity"))
    broker = NatsBroker(settings.nats_url)
    return ServiceContext(settings, store, broker, Naming(settings.namespace), nc)


async def test_the_runtime_wiring_answers_commands(
    settings: Settings, pool: asyncpg.Pool, nc: NatsClient
) -> None:
    context = _context(settings, pool, nc)
    assert service.wire is not None
    service.wire(context)
    await context.broker.start()
    await serve_commands(context.broker)
    try:
        client = CommandClient(nc, context.naming)
        await answering(client)
        key = await client.call("identity", "ticket_public_key", {})
        assert key["algorithm"] == "Ed25519"
    finally:
        await context.broker.stop()


def test_production_without_keys_does_not_start(
    settings: Settings, pool: asyncpg.Pool, nc: NatsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("KEYS", "HMAC_KEY", "TICKET_KEY"):
        monkeypatch.delenv(f"JIETIAO_IDENTITY_{name}", raising=False)
    context = _context(settings.model_copy(update={"env": "prod"}), pool, nc)
    assert service.wire is not None
    with pytest.raises(MissingKeysError):
        service.wire(context)


def _keyring(*keys: tuple[str, bytes]) -> SecretStr:
    return SecretStr(",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in keys))


async def test_records_sealed_under_a_retired_key_stay_readable(
    settings: Settings, pool: asyncpg.Pool, nc: NatsClient
) -> None:
    old, new = ("k1", os.urandom(32)), ("k2", os.urandom(32))
    async with running_identity(settings, pool, nc, keys=_keyring(old)) as identity:
        first = str(await identity.verified_party("13512345678"))
    async with running_identity(settings, pool, nc, keys=_keyring(new, old)) as identity:
        profile = await identity.call("party_profile", party_id=first, age_on="2000-01-01")
        assert profile["age"] == {"eligible": True, "reason": None}
        await identity.verified_party("13512345679", "440524188001010014", "卓文君")
        kids = await pool.fetch(
            f"SELECT kid FROM {identity.store.schema}.identities ORDER BY verified_at"
        )
        assert [r["kid"] for r in kids] == ["k1", "k2"]
