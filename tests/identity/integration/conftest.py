from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from shared.config import Settings
from tests.identity.integration.support import Identity, running_identity


@pytest.fixture
async def identity(
    settings: Settings, pool: asyncpg.Pool, nc: NatsClient
) -> AsyncIterator[Identity]:
    async with running_identity(settings, pool, nc) as running:
        yield running
