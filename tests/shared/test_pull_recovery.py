"""A pull consumer recovers when its subscription stops delivering or its fetches keep failing
(as after its NATS node went away, nats.py #504): it is re-created on the same durable and every
event still has its effect once. Real PostgreSQL and JetStream; the broken subscription is a
stand-in for the real one."""

from __future__ import annotations

import asyncio
from typing import Any

import nats
import nats.js.errors
import pytest

from shared.bus.consumer import Consumer
from shared.bus.recovery import ResilientPull
from shared.config import Settings
from shared.store import EventStore
from tests.shared.bus_support import (
    create_effects_table,
    effect_counts,
    eventually,
    recording_handler,
    running,
)
from tests.shared.test_consumer import publish


class _Deaf:
    """A subscription the server no longer delivers to: every fetch times out."""

    def __init__(self, real: Any) -> None:
        self.real = real

    async def fetch(self, batch: int = 1, timeout: float | None = None) -> list[Any]:  # noqa: ASYNC109
        await asyncio.sleep(timeout or 0.1)
        raise nats.errors.TimeoutError

    async def consumer_info(self) -> Any:
        return await self.real.consumer_info()

    async def unsubscribe(self) -> None:
        await self.real.unsubscribe()


class _Failing(_Deaf):
    """Every fetch fails with an error a bare pull loop would die of."""

    async def fetch(self, batch: int = 1, timeout: float | None = None) -> list[Any]:  # noqa: ASYNC109
        raise nats.js.errors.APIError(code=500, description="leader gone")


@pytest.mark.parametrize("broken", [_Deaf, _Failing])
async def test_a_broken_pull_subscription_is_re_created_and_nothing_is_lost(
    store: EventStore, nc: nats.NATS, settings: Settings, broken: type[_Deaf]
) -> None:
    await create_effects_table(store)
    consumer = Consumer("recovers", ("drafting",), recording_handler())
    async with running(settings, store, consumer) as pulling:
        guard = pulling.pulls["recovers-from-drafting"]
        guard.stall_after = 1.0
        guard.real = broken(guard.real)  # type: ignore[assignment]
        ids = await publish(store, nc, settings, 20)

        async def all_handled_once() -> bool:
            counts = await effect_counts(store)
            return set(counts) == set(ids) and set(counts.values()) == {1}

        await eventually(all_handled_once, within=30.0)
    assert isinstance(guard, ResilientPull)
    assert guard.renewals >= 1
