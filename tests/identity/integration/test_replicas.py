"""Two replicas of identity share one database: their limits and single uses agree."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
from nats.aio.client import Client as NatsClient

from shared.commands import CommandRejected
from shared.config import Settings
from tests.identity.integration.support import running_identity

PHONE = "13312345678"


async def test_concurrent_code_requests_on_two_replicas_send_one_code(
    settings: Settings, pool: asyncpg.Pool, nc: NatsClient
) -> None:
    async with contextlib.AsyncExitStack() as replicas:
        first = await replicas.enter_async_context(running_identity(settings, pool, nc))
        await replicas.enter_async_context(running_identity(settings, pool, nc))
        outcomes = await asyncio.gather(
            *(first.call("request_login_code", phone=PHONE) for _ in range(8)),
            return_exceptions=True,
        )
        refusals = [o.code for o in outcomes if isinstance(o, CommandRejected)]
        assert (len(outcomes) - len(refusals), refusals) == (1, ["code_rate_limited"] * 7)
        code = await first.last_code(PHONE)
        wrong = "000000" if code != "000000" else "111111"
        attempts = await asyncio.gather(
            *(first.call("verify_login_code", phone=PHONE, code=wrong) for _ in range(8)),
            return_exceptions=True,
        )
        codes = sorted(a.code for a in attempts if isinstance(a, CommandRejected))
        assert codes == ["code_too_many_attempts"] * 3 + ["code_wrong"] * 5
