from __future__ import annotations

import asyncpg
import pytest

from services.signing.application.context import SigningContext
from shared.config import Settings
from tests.signing.integration.support import Clock, FakeIdentity, signing_context


@pytest.fixture
def identity() -> FakeIdentity:
    return FakeIdentity()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(
    pool: asyncpg.Pool, settings: Settings, identity: FakeIdentity, clock: Clock
) -> SigningContext:
    return signing_context(pool, settings.schema_for("signing"), identity, clock)
