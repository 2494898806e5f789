"""Pull consumers that survive their NATS node going away (nats.py #504, open).

A pull loop that lets a fetch's error through ends (FastStream's did, silently: a status from a
node failing over, a request refused while the client reconnects), and a pull subscription made
on one node may get nothing once the client moved to another. So every pull subscription of a
service is wrapped: a fetch that fails is
logged and tried again after a pause, and the subscription is made anew on the same durable
(nothing is lost: what was unacked comes back after the ack wait) after a reconnect, after
failures in a row, or when the consumer has messages waiting yet every fetch for `stall_after`
seconds came back empty: a stuck consumer is re-created, never left silent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

from shared.logging import get_logger
from shared.subjects import Naming

log = get_logger(__name__)

Subscribe = Callable[[], Awaitable[JetStreamContext.PullSubscription]]


class ResilientPull:
    """Stands in for a pull subscription: the pull loops fetch from it and unsubscribe it."""

    def __init__(
        self,
        real: JetStreamContext.PullSubscription,
        subscribe: Subscribe,
        nc: NatsClient,
        durable: str,
        stall_after: float = 10.0,
    ) -> None:
        self.real, self.subscribe, self.nc, self.durable = real, subscribe, nc, durable
        self.stall_after = stall_after
        self.reconnects = nc.stats["reconnects"]
        self.failures = 0
        # Since when every fetch came back empty (None: the last one brought messages). Only
        # empty fetches in a row count: a consumer busy with a long batch is not stuck.
        self.empty_since: float | None = None
        self.renewals = 0
        self.broken = False

    async def fetch(self, batch: int = 1, timeout: float | None = None) -> list[Msg]:  # noqa: ASYNC109
        try:
            if await self._should_renew():
                await self._renew()
            msgs = await self.real.fetch(batch, timeout=timeout)
        except TimeoutError:  # nothing to fetch (nats-py's TimeoutError is asyncio's)
            self.failures = 0
            self.empty_since = self.empty_since or time.monotonic()
            return []
        except Exception as error:  # a pause, then again: never end the consumer's loop
            self.failures += 1
            log.warning("pull fetch failed", durable=self.durable, error=repr(error))
            await asyncio.sleep(min(0.5 * self.failures, 5.0))
            return []
        self.failures, self.empty_since = 0, None
        return msgs

    async def _should_renew(self) -> bool:
        if self.broken or self.failures >= 3 or self.nc.stats["reconnects"] != self.reconnects:
            return True
        if self.empty_since is None or time.monotonic() - self.empty_since < self.stall_after:
            return False
        self.empty_since = time.monotonic()  # look again after another quiet spell
        info = await self.real.consumer_info()
        stuck = bool(info.num_pending)
        if stuck:
            log.warning("pull consumer stuck", durable=self.durable, pending=info.num_pending)
        return stuck

    async def _renew(self) -> None:
        self.broken = True
        try:
            await self.real.unsubscribe()
        except Exception as error:  # its connection may be gone with its node
            log.debug("old pull subscription not unsubscribed", error=repr(error))
        self.real = await self.subscribe()
        self.broken, self.failures = False, 0
        self.reconnects = self.nc.stats["reconnects"]
        self.empty_since = None
        self.renewals += 1
        log.warning("pull subscription re-created", durable=self.durable, times=self.renewals)

    async def unsubscribe(self) -> None:
        await self.real.unsubscribe()


async def resilient_pull(
    nc: NatsClient, naming: Naming, source: str, config: api.ConsumerConfig
) -> ResilientPull:
    """A pull subscription to `source`'s events on the durable `config` names (created or
    updated to `config`), re-created when stuck or failing."""
    durable = str(config.durable_name)

    def subscribe() -> Awaitable[JetStreamContext.PullSubscription]:
        return nc.jetstream().pull_subscribe(
            naming.service_events(source),
            durable=durable,
            stream=naming.stream_name(source),
            config=config,
        )

    return ResilientPull(await subscribe(), subscribe, nc, durable)
