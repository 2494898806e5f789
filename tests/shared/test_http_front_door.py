"""A service with an HTTP app serves it on its one port, `/healthz` included."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import nats
from fastapi import FastAPI

from shared.config import Settings
from shared.health import Check
from shared.runtime import ServiceContext, ServiceDefinition, ServiceProcess
from tests.shared.bus_support import eventually


def small_app(context: ServiceContext, check: Check) -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"live": await check()}

    @app.get("/namespace")
    async def namespace() -> dict[str, str]:
        return {"namespace": context.naming.namespace}

    return app


def get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=2) as reply:
        body: dict[str, object] = json.load(reply)
        return body


async def test_the_http_app_is_served_beside_the_bus(settings: Settings, nc: nats.NATS) -> None:
    from shared.stack.embedded import free_port

    port = free_port()
    definition = ServiceDefinition(name="gateway", http_app=small_app)
    process = ServiceProcess(definition, settings.model_copy(update={"health_port": port}))
    task = asyncio.create_task(process.run())

    async def serving() -> bool:
        try:
            return await asyncio.to_thread(get, f"http://127.0.0.1:{port}/healthz") == {
                "live": True
            }
        except OSError:
            return False

    await eventually(serving, within=30)
    namespace = await asyncio.to_thread(get, f"http://127.0.0.1:{port}/namespace")
    assert namespace == {"namespace": settings.namespace}
    process.stopping.set()
    await asyncio.wait_for(task, 30)
