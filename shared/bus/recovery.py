"""Pull consumers on standing pull requests, that survive their NATS node going away.

Why standing requests: nats-py's `fetch` sends a request per call and, when nothing is waiting,
a second one, each handled by the server's JetStream API and answered with a status; under a
trickle of events that was more than one request per delivered message. As nats.go's `Consume`
does, requests for up to `batch` messages stay open on the server here (they expire after
`expires`, with idle heartbeats) and are topped up once half have arrived: messages are pushed as
they are stored, and a quiet consumer costs a heartbeat every few seconds.

Why recovery: a pull loop that lets an error through ends (FastStream's did, silently: a status
from a node failing over, a request refused while the client reconnects), and requests made on
one node may get nothing once the client moved to another (nats.py #504). So a failure is logged
and tried again after a pause, and the inbox and its requests are made anew on the same durable
(nothing is lost: what was unacked comes back after the ack wait) after a reconnect, after
failures in a row, when the heartbeats stop, when the consumer is deleted, or when it has
messages waiting yet nothing arrived for `stall_after` seconds: a stuck consumer is re-created,
never left silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import api
from nats.js.errors import NotFoundError

from shared.logging import get_logger
from shared.subjects import Naming

log = get_logger(__name__)

_STATUS, _PENDING = api.Header.STATUS, "Nats-Pending-Messages"
_HEARTBEAT, _EXPIRED, _CONFLICT = "100", "408", "409"


class ResilientPull:
    """One durable's standing pull requests and the inbox they deliver to."""

    def __init__(
        self,
        nc: NatsClient,
        stream: str,
        config: api.ConsumerConfig,
        *,
        heartbeat: float = 5.0,
        expires: float = 30.0,
        stall_after: float = 10.0,
    ) -> None:
        self.nc, self.stream, self.config = nc, stream, config
        self.durable = str(config.durable_name)
        self.heartbeat, self.expires, self.stall_after = heartbeat, expires, stall_after
        self.sub: Subscription | None = None
        # Arrived, not yet fetched. Kept across a renewal: those messages are still ackable.
        self.box: asyncio.Queue[Msg] = asyncio.Queue()
        self.credits = 0  # messages asked for and neither delivered nor expired
        self.heard = time.monotonic()  # anything from the server: a message, heartbeat, status
        self.reconnects = nc.stats["reconnects"]
        self.failures = 0
        # Since when every fetch came back empty (None: the last one brought messages). Only
        # empty fetches in a row count: a consumer busy with a long batch is not stuck.
        self.empty_since: float | None = None
        self.renewals = 0
        self.broken = False

    async def open(self) -> None:
        """Create the durable unless it exists (as `pull_subscribe` does) and a new inbox."""
        js = self.nc.jetstream()
        try:
            await js.consumer_info(self.stream, self.durable)
        except NotFoundError:
            await js.add_consumer(self.stream, config=self.config)
        self.sub = await self.nc.subscribe(self.nc.new_inbox(), cb=self._arrived)
        self.credits, self.heard = 0, time.monotonic()
        self.reconnects = self.nc.stats["reconnects"]

    async def _arrived(self, msg: Msg) -> None:
        self.heard = time.monotonic()
        self.box.put_nowait(msg)

    async def fetch(self, batch: int = 1, timeout: float = 1.0) -> list[Msg]:  # noqa: ASYNC109
        """Up to `batch` messages, waiting up to `timeout` for the first; [] if none came."""
        try:
            if await self._should_renew():
                await self._renew()
            msgs = await self._receive(batch, timeout)
        except Exception as error:  # a pause, then again: never end the consumer's loop
            self.failures += 1
            log.warning("pull fetch failed", durable=self.durable, error=repr(error))
            await asyncio.sleep(min(0.5 * self.failures, 5.0))
            return []
        if msgs:
            self.failures, self.empty_since = 0, None
        else:
            self.empty_since = self.empty_since or time.monotonic()
        return msgs

    async def _receive(self, batch: int, timeout: float) -> list[Msg]:  # noqa: ASYNC109
        msgs: list[Msg] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while not msgs:
            await self._top_up(batch)
            try:
                async with asyncio.timeout_at(deadline):
                    self._take(await self.box.get(), msgs)
            except TimeoutError:
                return msgs
            while len(msgs) < batch and not self.box.empty():
                self._take(self.box.get_nowait(), msgs)
        return msgs

    async def _top_up(self, batch: int) -> None:
        if self.sub is None or self.credits > batch // 2:
            return
        wanted = batch - self.credits
        request = {
            "batch": wanted,
            "expires": int(self.expires * 1e9),
            "idle_heartbeat": int(self.heartbeat * 1e9),
        }
        subject = f"$JS.API.CONSUMER.MSG.NEXT.{self.stream}.{self.durable}"
        await self.nc.publish(subject, json.dumps(request).encode(), reply=self.sub.subject)
        self.credits += wanted

    def _take(self, msg: Msg, into: list[Msg]) -> None:
        status = msg.headers.get(_STATUS) if msg.headers else None
        if not status:
            self.credits = max(self.credits - 1, 0)
            into.append(msg)
        elif status == _HEARTBEAT:
            pass
        elif status == _EXPIRED and msg.headers and _PENDING in msg.headers:
            self.credits = max(self.credits - int(msg.headers[_PENDING]), 0)
        else:
            # Which requests ended is not said: ask anew (a surplus is harmless, a lack stalls).
            self.credits = 0
            description = (msg.headers or {}).get(api.Header.DESCRIPTION, "")
            if status not in (_EXPIRED, _CONFLICT) or "deleted" in description.lower():
                self.broken = True  # renewed before the next fetch: the durable made anew
                log.warning(
                    "pull request ended", durable=self.durable, status=status, why=description
                )

    async def _should_renew(self) -> bool:
        if self.broken or self.failures >= 3 or self.nc.stats["reconnects"] != self.reconnects:
            return True
        if self.credits and time.monotonic() - self.heard > 2 * self.heartbeat + 1.0:
            log.warning("pull requests unheard of", durable=self.durable)
            return True
        if self.empty_since is None or time.monotonic() - self.empty_since < self.stall_after:
            return False
        self.empty_since = time.monotonic()  # look again after another quiet spell
        info = await self.nc.jetstream().consumer_info(self.stream, self.durable)
        stuck = bool(info.num_pending)
        if stuck:
            log.warning("pull consumer stuck", durable=self.durable, pending=info.num_pending)
        return stuck

    async def _renew(self) -> None:
        self.broken = True
        if self.sub is not None:
            try:
                await self.sub.unsubscribe()
            except Exception as error:  # its connection may be gone with its node
                log.debug("old pull inbox not unsubscribed", error=repr(error))
        self.sub = None
        await self.open()
        self.broken, self.failures, self.empty_since = False, 0, None
        self.renewals += 1
        log.warning("pull subscription re-created", durable=self.durable, times=self.renewals)

    async def close(self) -> list[Msg]:
        """Ask for nothing more; returns what had arrived but was not fetched, which the caller
        still owns (handle it, or nak it so another replica gets it now)."""
        if self.sub is not None:
            # Unsubscribe, then a round trip: what the server sent before is in the box.
            with contextlib.suppress(Exception):
                await self.sub.drain()  # type: ignore[no-untyped-call]  # nats-py: no hints
            self.sub = None
        left: list[Msg] = []
        while not self.box.empty():
            msg = self.box.get_nowait()
            if not (msg.headers and msg.headers.get(_STATUS)):
                left.append(msg)
        return left


async def resilient_pull(
    nc: NatsClient, naming: Naming, source: str, config: api.ConsumerConfig
) -> ResilientPull:
    """Standing pull requests for `source`'s events on the durable `config` names (created
    with `config` unless it exists), re-created when stuck or failing."""
    bound = dataclasses.replace(
        config,
        name=config.durable_name,
        filter_subject=config.filter_subject or naming.service_events(source),
    )
    pull = ResilientPull(nc, naming.stream_name(source), bound)
    await pull.open()
    return pull
