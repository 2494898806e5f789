"""An expired invitation opens nothing (a stack whose invitations live one second)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.conftest import new_namespace
from tests.gateway.conftest import drafted, verified
from tests.gateway.journey import invite
from tests.gateway.stack import Stack, eventually, running_stack

VALIDITY_DAYS = 2 / 86_400


@pytest.fixture(scope="module")
async def stack(servers: tuple[str, str]) -> AsyncIterator[Stack]:
    """This module's stack: drafting's invitations live two seconds."""
    database_url, nats_url = servers
    environment = {"JIETIAO_DRAFTING_INVITATION_VALIDITY_DAYS": str(VALIDITY_DAYS)}
    async with running_stack(database_url, nats_url, new_namespace(), environment) as stack:
        yield stack


async def test_an_expired_invitation_is_refused_and_shown_expired(stack: Stack) -> None:
    lender, borrower = stack.client(), stack.client()
    await verified(stack, lender)
    await verified(stack, borrower, "李四")
    note_id = await drafted(stack, lender)
    token = await invite(lender, note_id)

    async def projected() -> bool:
        return (await borrower.get(f"/api/v1/invitations/{token}")).status_code == 200

    await eventually(projected)
    await asyncio.sleep(2.5)
    assert (await borrower.get(f"/api/v1/invitations/{token}")).json()["state"] == "expired"
    reply = await borrower.post(f"/api/v1/invitations/{token}/accept")
    assert reply.status_code == 409, reply.text
    assert reply.json()["code"] == "invitation_expired"
    assert (await borrower.get(f"/api/v1/notes/{note_id}")).status_code == 404
