"""The gateway's ASGI app: the API under `/api/v1`, the web app, health and metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from services.gateway.http import (
    errors,
    routes_account,
    routes_evidence,
    routes_notes,
    routes_signing,
)
from services.gateway.http.auth import Gateway
from services.gateway.settings import GatewaySettings
from shared.commands import CommandClient
from shared.health import Check
from shared.observability import service_metrics
from shared.store import EventStore

STATIC = Path(__file__).resolve().parent.parent / "static"


def build_app(
    commands: CommandClient,
    store: EventStore,
    check: Check,
    settings: GatewaySettings | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Jietiao 借条 API",
        version="1.0.0",
        description="Electronic IOUs, receipts and small contracts between private persons.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        responses={
            status: {"model": errors.ErrorBody, "description": description}
            for status, description in errors.DOCUMENTED.items()
        },
    )
    app.state.gateway = Gateway(commands, store, settings or GatewaySettings())
    errors.install(app)
    responses = Counter[str]()

    @app.middleware("http")
    async def count(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        responses[str(response.status_code)] += 1
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.get("/healthz", tags=["meta"])
    async def healthz() -> JSONResponse:
        live = await check()
        return JSONResponse(
            {"service": "gateway", "status": "ok" if live else "down"},
            status_code=200 if live else 503,
        )

    @app.get("/metrics", response_class=PlainTextResponse, tags=["meta"])
    async def metrics() -> str:
        lines = ["# TYPE jietiao_gateway_responses_total counter"]
        lines += [
            f'jietiao_gateway_responses_total{{status="{status}"}} {n}'
            for status, n in sorted(responses.items())
        ]
        # What every service process exposes (bus, relay, HTTP latency), from the runtime.
        return "\n".join(lines) + "\n" + await service_metrics("gateway")

    for module in (routes_account, routes_notes, routes_signing, routes_evidence):
        app.include_router(module.router)
    from services.gateway.web.pages import router as pages

    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
