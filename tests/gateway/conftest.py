"""A stack of real services per test module.

Per module, not per session: services keep process-wide state for their consumers (drafting's
and signing's wiring), so two stacks alive at once in one process would share it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import new_namespace
from tests.gateway.stack import Stack, new_id_number, running_stack


@pytest.fixture(scope="module")
async def stack(servers: tuple[str, str]) -> AsyncIterator[Stack]:
    database_url, nats_url = servers
    async with running_stack(database_url, nats_url, new_namespace(), login_limit=5) as running:
        yield running


def iou_terms(**overrides: Any) -> dict[str, Any]:
    start = date.today()
    return {
        "template": "iou",
        "initiator_role": "lender",
        "principal": "10000.00",
        "purpose": "装修",
        "start_date": start.isoformat(),
        "due_date": (start + timedelta(days=180)).isoformat(),
        "annual_rate_percent": "6",
        "repayment_method": "bullet",
        "delivery_method": "bank_transfer",
        **overrides,
    }


async def verified(stack: Stack, client: httpx.AsyncClient, name: str = "张三") -> dict[str, Any]:
    """A logged-in party that passed the real-name check."""
    login = await stack.login(client)
    reply = await client.post(
        "/api/v1/identity", json={"legal_name": name, "id_number": new_id_number()}
    )
    assert reply.status_code == 200, reply.text
    return login


async def drafted(
    stack: Stack, client: httpx.AsyncClient, counterparty: str = "李四", **terms: Any
) -> str:
    reply = await client.post(
        "/api/v1/notes",
        json={
            "accepted_disclaimer_version": "2026-01",
            "counterparty": {"display_name": counterparty, "phone": "13912345678"},
            "terms": iou_terms(**terms),
        },
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["note_id"])
