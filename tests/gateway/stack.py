"""The real services in-process on one namespace, and HTTP clients of the gateway's app."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
from fastapi import FastAPI

from services.gateway.http.factory import build_app
from services.gateway.readmodel.projector import consumers
from services.gateway.settings import GatewaySettings
from shared.bootstrap import prepare
from shared.commands import CommandClient
from shared.config import Settings
from shared.runtime import ServiceProcess, load_service
from shared.store import EventStore, connect_pool
from shared.subjects import Naming
from tests.shared.bus_support import eventually, running

BACKENDS = ("identity", "drafting", "signing", "evidence")
_phones = iter(range(10_000_000, 99_999_999, 7919))


def new_phone() -> str:
    return f"139{next(_phones):08d}"


@dataclass
class Stack:
    settings: Settings
    app: FastAPI
    store: EventStore
    nc: nats.NATS
    naming: Naming
    _clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self, address: str | None = None) -> httpx.AsyncClient:
        address = address or f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.1"
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="https://testserver")
        self._clients.append(client)
        return client

    async def login(self, client: httpx.AsyncClient, phone: str | None = None) -> dict[str, Any]:
        """Log in by SMS code (read from the development inbox); sets the client's cookie."""
        phone = phone or new_phone()
        assert (await client.post("/api/v1/login/code", json={"phone": phone})).status_code == 200
        code = await self.inbox_code(phone)
        reply = await client.post("/api/v1/login/verify", json={"phone": phone, "code": code})
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        client.headers["X-CSRF-Token"] = body["csrf_token"]
        return {**body, "phone": phone}

    async def inbox_code(self, phone: str, purpose: str | None = None) -> str:
        inbox = await CommandClient(self.nc, self.naming).call(
            "identity", "dev_inbox", {"phone": phone}
        )
        messages = [m for m in inbox["messages"] if purpose is None or m["purpose"] == purpose]
        return str(messages[0]["code"])


ID_NUMBERS = iter(
    f"{prefix}{seq:03d}" for prefix in ("11010519900307",) for seq in range(1, 999, 2)
)


def id_number_for(seq17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(seq17, weights, strict=True)) % 11]
    return seq17 + check


def new_id_number() -> str:
    return id_number_for(next(ID_NUMBERS))


@contextlib.asynccontextmanager
async def running_stack(
    database_url: str,
    nats_url: str,
    namespace: str,
    environment: dict[str, str] | None = None,
    **gateway: Any,
) -> AsyncIterator[Stack]:
    """The services, configured by `environment` (set while they start), and the gateway app."""
    settings = Settings(
        nats_url=nats_url, database_url=database_url, namespace=namespace, env="test"
    )
    await prepare(settings)
    processes = [ServiceProcess(load_service(name), settings) for name in BACKENDS]
    os.environ.update(environment or {})
    tasks = [asyncio.create_task(p.run()) for p in processes]
    pool = await connect_pool(database_url, max_size=8)
    nc = await nats.connect(nats_url)
    naming = Naming(namespace)
    store = EventStore(pool, settings.schema_for("gateway"))

    async def live() -> bool:
        return True

    app = build_app(
        CommandClient(nc, naming),
        store,
        live,
        GatewaySettings(env="test", **gateway),
    )
    try:
        async with running(settings, store, *consumers()):
            await _until_commands_answer(nc, naming)
            for key in environment or {}:
                os.environ.pop(key, None)
            stack = Stack(settings, app, store, nc, naming)
            try:
                yield stack
            finally:
                for client in stack._clients:
                    await client.aclose()
    finally:
        for process in processes:
            process.stopping.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
        await nc.close()
        await pool.close()


async def _until_commands_answer(nc: nats.NATS, naming: Naming) -> None:
    client = CommandClient(nc, naming, timeout=1.0)
    probes = {
        "identity": ("party_profile", {"party_id": str(uuid.uuid4())}),
        "drafting": (
            "get_note",
            {"note_id": str(uuid.uuid4()), "actor_party_id": str(uuid.uuid4())},
        ),
        "signing": ("get_note_signing_state", {"note_id": str(uuid.uuid4())}),
        "evidence": ("receipt", {"event_id": str(uuid.uuid4())}),
    }

    async def answering() -> bool:
        for service, (name, request) in probes.items():
            try:
                await client.call(service, name, request)
            except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                return False
            except Exception:  # a refusal is an answer
                continue
        return True

    await eventually(answering, within=60)


TOKEN_IN_URL = re.compile(r"/invite/([A-Za-z0-9_\-]+)")
