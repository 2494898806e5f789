"""A service's one port: a liveness endpoint small enough to need no web framework
(`GET /healthz` → 200 or 503, `GET /metrics` → Prometheus text), or, for a service with an HTTP
app, that app under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

Check = Callable[[], Awaitable[bool]]
Metrics = Callable[[], Awaitable[bytes]]
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# (scope, receive, send): what FastAPI and every ASGI app are.
ASGIApplication = Callable[[Any, Any, Any], Awaitable[None]]


class AsgiServer:
    def __init__(self, app: ASGIApplication, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> int:
        # Serving in a task, not `serve()`'s own signal handling: the runtime owns the signals.
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it, e.g. a port in use
                raise RuntimeError("HTTP server stopped while starting")
            await asyncio.sleep(0.05)
        port: int = self._server.servers[0].sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task


class HealthServer:
    def __init__(
        self, check: Check, host: str, port: int, service: str, metrics: Metrics | None = None
    ) -> None:
        self.check = check
        self.metrics = metrics
        self.host = host
        self.port = port
        self.service = service
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._answer, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            request = await asyncio.wait_for(reader.readline(), 5)
            path = request.split(b" ")[1] if request.count(b" ") >= 2 else b""
            status, content_type, payload = await self._response(path.split(b"?")[0])
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + payload)
            await writer.drain()
        writer.close()

    async def _response(self, path: bytes) -> tuple[str, str, bytes]:
        if path == b"/metrics" and self.metrics is not None:
            return "200 OK", METRICS_CONTENT_TYPE, await self.metrics()
        if path not in (b"/healthz", b"/"):
            status, body = "404 Not Found", {"error": "not found"}
        elif await self._healthy():
            status, body = "200 OK", {"service": self.service, "status": "ok"}
        else:
            status, body = "503 Service Unavailable", {"service": self.service, "status": "down"}
        return status, "application/json", json.dumps(body).encode()

    async def _healthy(self) -> bool:
        try:
            return await asyncio.wait_for(self.check(), 2)
        except Exception:  # a check that fails or hangs means "not live"
            return False
