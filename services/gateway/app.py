"""Wiring of the gateway: the HTTP door (API, web app) and the read models behind it.

HTTP (FastAPI; OpenAPI at `/api/v1/openapi.json`, docs at `/api/docs`): `/api/v1/...` for
programs (bearer session tokens) and the zh-CN web app at `/` (HTTP-only session cookie plus a
CSRF token for anything that changes state); `/healthz` and `/metrics`. Every error is
`{code, message, message_zh, field}` with 400/401/403/404/409/422/429/503; a note that is not
yours is a 404, like one that does not exist.

Consumes every service's events (`gateway-notes`, ordered) into read models: my notes with
filters and paging, each note's timeline with its evidence-log leaves, invitations by token hash.
`python -m services.gateway.readmodel.rebuild` rebuilds them from zero by replaying the streams.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.gateway.http.factory import build_app
from services.gateway.readmodel.projector import consumers
from shared.health import Check
from shared.runtime import ServiceContext, ServiceDefinition
from shared.store import migrations_in


def http_app(context: ServiceContext, check: Check) -> FastAPI:
    return build_app(context.commands, context.store, check)


service = ServiceDefinition(
    name="gateway",
    migrations=migrations_in("services.gateway", "gateway"),
    consumers=consumers(),
    http_app=http_app,
)
