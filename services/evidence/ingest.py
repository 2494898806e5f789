"""Pulling every service's stream into the log in batches, acking only what is durable.

Why not `shared.bus.consumer.Consumer`: it commits one message per transaction, so the log would
pay a commit (an fsync) and a checkpoint signature per event. Here one pull consumer per source
stream (durable, shared by the replicas, explicit acks) feeds one writer that commits whatever
has arrived from all sources as one batch, then acks it. The guarantees are the generic
consumer's: nothing is acked before its transaction committed, a redelivered event finds its leaf
and is only acked, and a message that cannot be parsed goes to `dead_letters` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import api

from services.evidence.domain.batch import Incoming
from services.evidence.messages import MalformedEventError, parse_message
from services.evidence.writer import LogWriter
from shared.bus.recovery import ResilientPull, resilient_pull
from shared.logging import get_logger
from shared.store import EventStore
from shared.subjects import Naming

log = get_logger(__name__)

CONSUMER = "evidence.anchor"


@dataclass(frozen=True)
class Delivery:
    source: str
    msg: Msg


class AnchorLoop:
    def __init__(
        self,
        writer: LogWriter,
        store: EventStore,
        naming: Naming,
        sources: tuple[str, ...],
        *,
        batch_size: int = 500,
        fetch_timeout: float = 0.5,
        ack_wait: float = 30.0,
        linger: float = 0.1,
    ) -> None:
        self.writer = writer
        self.store = store
        self.naming = naming
        self.sources = sources
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.ack_wait = ack_wait
        # How long a batch waits for more after its first message. Each batch is a transaction,
        # a signed checkpoint and announcements that are themselves anchored in the next batch:
        # under a trickle of events, one batch per message costs several times the CPU.
        self.linger = linger
        # Small on purpose: a full queue stops the fetchers, so unacked messages never pile up
        # beyond what the writer will commit well inside `ack_wait`.
        self.queue: asyncio.Queue[list[Delivery]] = asyncio.Queue(maxsize=len(sources) * 2)

    def consumer_config(self, durable: str) -> api.ConsumerConfig:
        return api.ConsumerConfig(
            durable_name=durable,
            ack_policy=api.AckPolicy.EXPLICIT,
            deliver_policy=api.DeliverPolicy.ALL,
            ack_wait=self.ack_wait,
            max_deliver=-1,  # every event must end up in the log; poison goes to dead_letters
            max_ack_pending=self.batch_size * 4,
        )

    async def run(self, nc: NatsClient, keep_going: Callable[[], bool]) -> None:
        fetchers = [
            asyncio.create_task(self._fetch(nc, source, keep_going)) for source in self.sources
        ]
        try:
            await self._write(keep_going)
            await self._give_back(fetchers)
        finally:
            for task in fetchers:
                task.cancel()
            for task in fetchers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _give_back(self, fetchers: list[asyncio.Task[None]]) -> None:
        """On stop: let the fetches in progress return (a cancelled one is answered to nobody),
        then nak whatever was fetched but not anchored, so another replica gets it now rather
        than after the ack wait. Not before: a fetch still running would take the naked
        messages back."""
        held: list[Delivery] = []
        deadline = asyncio.get_running_loop().time() + self.fetch_timeout + 1.0
        while not all(t.done() for t in fetchers):
            held += self._take_queued()  # also frees a fetcher waiting to queue its batch
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.02)
        for delivery in held + self._take_queued():
            with contextlib.suppress(Exception):  # not naked: back after the ack wait
                await delivery.msg.nak()

    def _take_queued(self) -> list[Delivery]:
        taken: list[Delivery] = []
        while not self.queue.empty():
            taken += self.queue.get_nowait()
        return taken

    async def _fetch(self, nc: NatsClient, source: str, keep_going: Callable[[], bool]) -> None:
        durable = self.naming.durable_name(CONSUMER, source)
        while keep_going():
            try:
                # Re-created when stuck or failing (see shared.bus.recovery).
                config = self.consumer_config(durable)
                sub = await resilient_pull(nc, self.naming, source, config)
                try:
                    await self._pull(sub, source, keep_going)
                finally:
                    for msg in await sub.close():  # delivered, never queued: another's now
                        with contextlib.suppress(Exception):
                            await msg.nak()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # NATS away: retry the subscription after a pause
                log.warning("evidence fetch failed", source=source, error=repr(error))
                await asyncio.sleep(1.0)

    async def _pull(self, sub: ResilientPull, source: str, keep_going: Callable[[], bool]) -> None:
        while keep_going():
            if msgs := await sub.fetch(self.batch_size, timeout=self.fetch_timeout):
                await self.queue.put([Delivery(source, m) for m in msgs])

    async def _next_batch(self) -> list[Delivery] | None:
        try:
            batch = await asyncio.wait_for(self.queue.get(), self.fetch_timeout)
        except TimeoutError:
            return None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.linger):
                while len(batch) < self.batch_size:
                    batch += await self.queue.get()
        while len(batch) < self.batch_size and not self.queue.empty():
            batch += self.queue.get_nowait()
        return batch

    async def _write(self, keep_going: Callable[[], bool]) -> None:
        while keep_going():
            batch = await self._next_batch()
            if not batch:
                continue
            try:
                await self.process(batch)
            except Exception as error:  # unacked messages come back after `ack_wait`
                log.warning("evidence batch abandoned", error=repr(error), size=len(batch))

    async def process(self, batch: list[Delivery]) -> None:
        good: list[tuple[Delivery, Incoming]] = []
        for delivery in batch:
            try:
                good.append((delivery, parse_message(delivery.source, delivery.msg.data)))
            except MalformedEventError as error:
                await self._dead_letter(delivery, str(error))
        if good and await self.commit([incoming for _, incoming in good]):
            await self.ack([delivery for delivery, _ in good])
        else:
            for delivery, _ in good:
                with contextlib.suppress(Exception):
                    await delivery.msg.nak(delay=1.0)

    async def commit(self, events: list[Incoming]) -> bool:
        try:
            await self.writer.commit(events)
        except Exception as error:  # the database is away: everything comes back later
            log.warning("evidence batch failed, will retry", error=repr(error), size=len(events))
            return False
        return True

    async def ack(self, deliveries: list[Delivery]) -> None:
        # Only now: the leaves are committed, so a lost ack merely redelivers a logged event.
        for delivery in deliveries:
            await delivery.msg.ack()

    async def _dead_letter(self, delivery: Delivery, reason: str) -> None:
        msg = delivery.msg
        metadata = msg.metadata
        await self.store.pool.execute(
            f"INSERT INTO {self.store.schema}.dead_letters (consumer, subject, stream_seq, "
            "deliveries, event_id, reason, headers, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            CONSUMER,
            msg.subject,
            metadata.sequence.stream if metadata.sequence else None,
            metadata.num_delivered or 1,
            (msg.headers or {}).get("Nats-Msg-Id"),
            f"malformed: {reason}",
            dict(msg.headers or {}),
            msg.data,
        )
        log.error("dead-lettered", consumer=CONSUMER, reason=reason[:200])
        await msg.term()
