"""Identity's commands on a real broker, with a clock the test moves, and common steps."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import nats
import nats.errors
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from PIL import Image

from services.identity.app import build_context, register_commands
from services.identity.application.context import IdentityContext, Providers
from services.identity.settings import IdentitySettings
from shared.commands import CommandClient, serve_commands
from shared.config import Settings
from shared.events import Envelope
from shared.store import EventStore
from shared.subjects import Naming

ID_NUMBER = "11010519491231002X"
LEGAL_NAME = "欧阳娜娜"
# Luhn-valid, so the development bank-card check accepts it.
BANK_CARD = "6222020200112233446"
DIGEST = "5f" * 32


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Identity:
    client: CommandClient
    clock: FakeClock
    store: EventStore
    ctx: IdentityContext

    async def call(self, command: str, /, **request: Any) -> dict[str, Any]:
        return await self.client.call("identity", command, request)

    async def last_code(self, phone: str, purpose: str = "login") -> str:
        inbox = await self.call("dev_inbox", phone=phone)
        codes = [m["code"] for m in inbox["messages"] if m["purpose"] == purpose]
        return str(codes[0])

    async def login(self, phone: str) -> dict[str, Any]:
        await self.call("request_login_code", phone=phone)
        return await self.call("verify_login_code", phone=phone, code=await self.last_code(phone))

    async def verified_party(
        self, phone: str, id_number: str = ID_NUMBER, name: str = LEGAL_NAME
    ) -> uuid.UUID:
        party_id = (await self.login(phone))["party_id"]
        await self.call("submit_identity", party_id=party_id, legal_name=name, id_number=id_number)
        return uuid.UUID(party_id)

    async def face_check(self, party_id: uuid.UUID) -> dict[str, Any]:
        return await self.call("verify_face", party_id=str(party_id), image_base64=png_base64())

    async def event_types(self, stream_id: uuid.UUID) -> list[str]:
        return [e.event_type for e in await self.store.read_stream(stream_id)]

    async def events(self, stream_id: uuid.UUID) -> list[Envelope]:
        return await self.store.read_stream(stream_id)


def png_base64(width: int = 320, height: int = 480) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (210, 160, 130)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


async def answering(client: CommandClient) -> None:
    # The broker's subscriptions reach the server on its own connection, after start() returns.
    for _ in range(50):
        with contextlib.suppress(nats.errors.NoRespondersError):
            await client.call("identity", "party_profile", {"party_id": str(uuid.uuid4())})
            return
        await asyncio.sleep(0.05)
    raise AssertionError("identity does not answer")


@contextlib.asynccontextmanager
async def running_identity(
    settings: Settings,
    pool: asyncpg.Pool,
    nc: NatsClient,
    providers: Providers | None = None,
    **overrides: Any,
) -> AsyncIterator[Identity]:
    naming = Naming(settings.namespace)
    store = EventStore(pool, settings.schema_for("identity"))
    clock = FakeClock()
    identity_settings = IdentitySettings(**overrides)
    ctx = build_context(store, settings.env, identity_settings, providers, clock)
    broker = NatsBroker(settings.nats_url)
    register_commands(broker, naming, ctx)
    await broker.start()
    await serve_commands(broker)
    identity = Identity(CommandClient(nc, naming), clock, store, ctx)
    await answering(identity.client)
    try:
        yield identity
    finally:
        await broker.stop()
