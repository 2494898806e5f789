"""Durable pull consumers shared by every replica of a service, idempotent by construction.

For each message: parse it; in one transaction insert `processed_events(consumer, event_id)` and,
if that row is new, run the handler; commit; only then ack. A crash before the commit redelivers
and redoes the work; a crash after it redelivers and finds the row. Failures are retried with a
growing delay; the last failed delivery is terminated and kept in `dead_letters` with its reason.
A message that cannot be parsed goes there at once: retrying cannot fix it.

An ordered consumer (the default) applies the events of each stream in version order, which
read models and process managers need: JetStream hands a batch out concurrently and replicas
race each other, so the version each (consumer, source, stream) has reached is kept in the
handler's transaction, an event that comes too early is put back for later, and events of one
stream in one process wait for each other.
"""

import asyncio
import json
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal

import structlog
from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from nats.aio.msg import Msg
from nats.js import api

from shared.bus.delivery import Delivery, as_delivery
from shared.events import Envelope
from shared.logging import get_logger
from shared.store import EventStore, Transaction
from shared.subjects import Naming

log = get_logger(__name__)

Handler = Callable[[Envelope, Transaction], Awaitable[None]]
# How a message was settled: the status FastStream's metrics use.
Settled = Literal["acked", "nacked", "rejected"]


@dataclass(frozen=True)
class Consumer:
    """A durable consumer: its name, the services whose events it reads, and its handler."""

    name: str
    sources: tuple[str, ...]
    handle: Handler
    event_types: frozenset[str] | None = None
    max_deliver: int = 5
    backoff: tuple[float, ...] = (1.0, 5.0, 15.0, 30.0)
    ack_wait: float = 30.0
    batch_size: int = 32
    ordered: bool = True

    def delay_after(self, deliveries: int) -> float:
        return self.backoff[min(deliveries, len(self.backoff)) - 1]

    def wants(self, envelope: Envelope) -> bool:
        return self.event_types is None or envelope.event_type in self.event_types


class OutOfOrderError(Exception):
    """An earlier event of the same stream has not been handled yet; try again later."""


@dataclass
class _KeyedLocks:
    """One FIFO lock per key, forgotten once nobody holds or awaits it."""

    _locks: dict[tuple[str, uuid.UUID], tuple[asyncio.Lock, int]] = field(default_factory=dict)

    @asynccontextmanager
    async def hold(self, key: tuple[str, uuid.UUID]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class MessageProcessor:
    """Everything that happens to one delivered message of one consumer."""

    def __init__(self, consumer: Consumer, store: EventStore, source: str) -> None:
        self.consumer = consumer
        self.store = store
        self.source = source
        self._streams = _KeyedLocks()

    async def __call__(self, msg: Msg) -> Settled:
        deliveries = msg.metadata.num_delivered or 1
        try:
            envelope = Envelope.from_document(json.loads(msg.data))
        except Exception as error:  # any parse failure is final: retrying cannot fix the bytes
            return await self._dead_letter(msg, deliveries, None, f"malformed: {error!r}")
        structlog.contextvars.bind_contextvars(
            consumer=self.consumer.name,
            event_id=str(envelope.event_id),
            correlation_id=str(envelope.correlation_id),
        )
        try:
            async with self._streams.hold((self.source, envelope.stream_id)):
                await self._handle_once(envelope)
        except OutOfOrderError:
            await msg.nak(delay=_early_delay(deliveries))
            return "nacked"
        except Exception as error:  # a failing handler never stops the consumer
            return await self._failed(msg, deliveries, envelope, error)
        else:
            await msg.ack()
            return "acked"
        finally:
            structlog.contextvars.unbind_contextvars("consumer", "event_id", "correlation_id")

    async def _handle_once(self, envelope: Envelope) -> None:
        # An ordered consumer must see every event of a stream to keep its place in it.
        if not self.consumer.wants(envelope):
            if self.consumer.ordered:
                await self._pass_over(envelope)
            return
        async with self.store.transaction() as tx:
            if self.consumer.ordered:
                if not await self._mark_in_order(tx, envelope):
                    return
            elif not await tx.mark_processed(self.consumer.name, envelope.event_id):
                return
            await self.consumer.handle(envelope, tx)

    async def _mark_in_order(self, tx: Transaction, envelope: Envelope) -> bool:
        """Mark the event processed and move the stream's position onto it, in one statement
        (one round trip, not three); False if it was processed already. An event that is not
        the next of its stream raises, and the transaction's rollback takes its mark back."""
        row = await tx.conn.fetchrow(
            _MARK_IN_ORDER.format(schema=tx.schema), *_keys(self, envelope)
        )
        assert row is not None  # a SELECT without FROM always returns its row
        if not row["new"]:
            return False
        if not row["moved"]:
            raise OutOfOrderError(envelope.version)
        return True

    async def _pass_over(self, envelope: Envelope) -> None:
        """Move the stream's position past an event the handler does not want: one statement
        on its own, not a transaction (BEGIN and COMMIT would be two more round trips, for most
        of what an ordered consumer sees)."""
        row = await self.store.pool.fetchrow(
            _PASS_OVER.format(schema=self.store.schema), *_keys(self, envelope)
        )
        assert row is not None  # a SELECT without FROM always returns its row
        if row["new"] and not row["moved"]:
            raise OutOfOrderError(envelope.version)

    async def _failed(
        self, msg: Msg, deliveries: int, envelope: Envelope, error: Exception
    ) -> Settled:
        if deliveries >= self.consumer.max_deliver:
            reason = f"failed: {error!r}"
            return await self._dead_letter(msg, deliveries, str(envelope.event_id), reason)
        delay = self.consumer.delay_after(deliveries)
        log.warning("handler failed, will retry", deliveries=deliveries, error=repr(error))
        await msg.nak(delay=delay)
        return "nacked"

    async def _dead_letter(
        self, msg: Msg, deliveries: int, event_id: str | None, reason: str
    ) -> Settled:
        metadata = msg.metadata
        await self.store.pool.execute(
            f"INSERT INTO {self.store.schema}.dead_letters (consumer, subject, stream_seq, "
            "deliveries, event_id, reason, headers, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            self.consumer.name,
            msg.subject,
            metadata.sequence.stream if metadata.sequence else None,
            deliveries,
            event_id,
            reason,
            dict(msg.headers or {}),
            msg.data,
        )
        log.error("dead-lettered", consumer=self.consumer.name, reason=reason[:200])
        await msg.term()
        return "rejected"


# `moved` only when the stream's position was the event's version - 1 (none at all for the first
# event): ON CONFLICT DO UPDATE locks the position's row and checks the row as committed, so
# replicas racing on one stream still move it one version at a time.
_MARK_IN_ORDER = """
WITH mark AS (
    INSERT INTO {schema}.processed_events (consumer, event_id) VALUES ($1, $2)
    ON CONFLICT DO NOTHING RETURNING 1
), moved AS (
    INSERT INTO {schema}.stream_positions AS p (consumer, source, stream_id, version)
    SELECT $1, $3, $4, $5 FROM mark
    WHERE $5 = 1 OR EXISTS (
        SELECT 1 FROM {schema}.stream_positions
        WHERE consumer = $1 AND source = $3 AND stream_id = $4
    )
    ON CONFLICT (consumer, source, stream_id) DO UPDATE SET version = excluded.version
    WHERE p.version = excluded.version - 1
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM mark) AS new, EXISTS (SELECT 1 FROM moved) AS moved
"""


# The same as _MARK_IN_ORDER without a transaction to roll back: the mark is written only with
# the move, so an early event leaves nothing behind. A replica racing on the same event sees
# neither the other's mark nor, after waiting on its row, a position it can move: it puts the
# event back and the next delivery finds the mark.
_PASS_OVER = """
WITH seen AS (
    SELECT 1 FROM {schema}.processed_events WHERE consumer = $1 AND event_id = $2
), moved AS (
    INSERT INTO {schema}.stream_positions AS p (consumer, source, stream_id, version)
    SELECT $1, $3, $4, $5
    WHERE NOT EXISTS (SELECT 1 FROM seen) AND ($5 = 1 OR EXISTS (
        SELECT 1 FROM {schema}.stream_positions
        WHERE consumer = $1 AND source = $3 AND stream_id = $4
    ))
    ON CONFLICT (consumer, source, stream_id) DO UPDATE SET version = excluded.version
    WHERE p.version = excluded.version - 1
    RETURNING 1
), mark AS (
    INSERT INTO {schema}.processed_events (consumer, event_id)
    SELECT $1, $2 FROM moved
    ON CONFLICT DO NOTHING
)
SELECT NOT EXISTS (SELECT 1 FROM seen) AS new, EXISTS (SELECT 1 FROM moved) AS moved
"""


def _keys(processor: MessageProcessor, envelope: Envelope) -> tuple[object, ...]:
    return (
        processor.consumer.name,
        envelope.event_id,
        processor.source,
        envelope.stream_id,
        envelope.version,
    )


def _early_delay(deliveries: int) -> float:
    # Its predecessor is usually being handled right now, by this replica or another: look
    # again soon. Growing a little keeps a real gap (a dead-lettered predecessor) cheap.
    return float(min(0.05 * 2 ** min(deliveries - 1, 6), 2.0))


def consumer_config(consumer: Consumer, durable: str) -> api.ConsumerConfig:
    return api.ConsumerConfig(
        durable_name=durable,
        ack_policy=api.AckPolicy.EXPLICIT,
        deliver_policy=api.DeliverPolicy.ALL,
        ack_wait=consumer.ack_wait,
        # We terminate at `max_deliver` ourselves; the server's limit is only the backstop for
        # a message whose every delivery kills the process before it can decide. An ordered
        # consumer has none: an early event is put back until its predecessor is handled,
        # however long that takes, and a dropped one would stall its stream for good.
        max_deliver=-1 if consumer.ordered else consumer.max_deliver + 2,
        max_ack_pending=max(1000, consumer.batch_size * 4),
    )


@dataclass(frozen=True)
class Subscribed:
    """A consumer bound to a service's store: `PullConsumers` runs one loop per source."""

    consumer: Consumer
    store: EventStore
    naming: Naming

    def durables(self) -> list[tuple[str, str]]:
        """(stream, durable) for each source."""
        name, naming = self.consumer.name, self.naming
        return [
            (naming.stream_name(s), naming.durable_name(name, s)) for s in self.consumer.sources
        ]


# What each broker's service consumes, until the runtime starts its pull loops.
_SUBSCRIBED: weakref.WeakKeyDictionary[NatsBroker, list[Subscribed]] = weakref.WeakKeyDictionary()


def subscribe(broker: NatsBroker, consumer: Consumer, store: EventStore, naming: Naming) -> None:
    """Bind `consumer` to every source stream: one durable per (consumer, stream), pulled by
    `shared.bus.pulling.PullConsumers` once the service runs."""
    _SUBSCRIBED.setdefault(broker, []).append(Subscribed(consumer, store, naming))


def subscribed(broker: NatsBroker) -> list[Subscribed]:
    return list(_SUBSCRIBED.get(broker, ()))


def document_consumers(broker: NatsBroker) -> None:
    """FastStream subscribers for `broker`'s consumers, on a broker that never starts: what the
    AsyncAPI document lists (the same channels and operations as when FastStream pulled)."""
    for wired in subscribed(broker):
        for service in wired.consumer.sources:
            durable = wired.naming.durable_name(wired.consumer.name, service)
            subscriber = broker.subscriber(
                wired.naming.service_events(service),
                stream=JStream(wired.naming.stream_name(service), declare=False),
                durable=durable,
                config=consumer_config(wired.consumer, durable),
                pull_sub=PullSub(batch_size=wired.consumer.batch_size, timeout=1.0),
                ack_policy=AckPolicy.MANUAL,
                decoder=as_delivery,
            )
            subscriber(_never_called)


# No `from __future__ import annotations` here: FastStream checks the handler's argument by its
# evaluated annotation. The offline broker only documents.
async def _never_called(delivery: Delivery) -> None:
    raise NotImplementedError


# The documents name each operation after its function, as when FastStream pulled with `handle`.
_never_called.__name__ = "handle"
