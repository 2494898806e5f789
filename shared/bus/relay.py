"""The outbox relay: publishes a service's events table to JetStream in `global_position` order.

The checkpoint advances only after JetStream acknowledged every message of a batch. A relay that
dies between the two re-publishes the batch; `Nats-Msg-Id = event_id` makes JetStream drop the
copies inside the stream's duplicate window. The leader keeps its position in memory and writes
the checkpoint at most once per `checkpoint_every` seconds (and when it stops leading): a write per
batch was a quarter of some services' statements under load, and a relay that dies re-publishes at
most those seconds' events, which the duplicate window (minutes) still drops.

Only one replica relays at a time: leadership is a session-level advisory lock, which PostgreSQL
releases when the leader's connection dies.

A batch is pipelined, and JetStream stores it in store order even across a failover: each message
but the first expects its predecessor to be the stream's last (`Nats-Expected-Last-Msg-Id`). A
message lost on its way (its server went down) makes the server refuse the ones after it rather
than store them ahead of it; the next pass re-publishes the batch from the checkpoint, and the
server drops what it already stored as duplicates (it de-duplicates before it checks the
expectation, clustered or not). The acks come to an inbox of the relay's own, and an ack that
never comes holds nothing after its batch. This needs the relay to be the stream's only writer
(it is: the stream is the service's own): a message from elsewhere stored after an event whose
successor was lost would have that successor refused on every pass ("relay interrupted").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from shared.events import canonical_bytes
from shared.logging import get_logger
from shared.store import EventStore, RecordedEvent
from shared.store.postgres import Connection
from shared.subjects import Naming

log = get_logger(__name__)

HEADER_EVENT_TYPE = "Jietiao-Event-Type"
HEADER_SCHEMA_VERSION = "Jietiao-Schema-Version"
HEADER_CORRELATION_ID = "Jietiao-Correlation-Id"
EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"


class PublishRefusedError(Exception):
    """JetStream did not store a message: its predecessor is missing, or no server answered."""


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        js: JetStreamContext,
        naming: Naming,
        service: str,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        ack_timeout: float = 10.0,
        checkpoint_every: float = 1.0,
    ) -> None:
        self.store = store
        self.js = js
        self.naming = naming
        self.service = service
        self.name = f"{service}-relay"
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.ack_timeout = ack_timeout
        self.checkpoint_every = checkpoint_every
        # Pub acks come to one inbox of the relay's own, each to the token of its message.
        self._inbox: str | None = None
        self._acks: dict[str, asyncio.Future[None]] = {}
        self._sent = 0
        # The leader's own checkpoint: nobody else moves it while it holds the lock, so it is
        # read once per leadership (None: read it), not once per pass.
        self._position: int | None = None
        self._saved: int | None = None  # the checkpoint as last written
        self._saved_at = -float("inf")  # time.monotonic() of that write

    async def checkpoint(self) -> int:
        position = await self.store.pool.fetchval(
            f"SELECT position FROM {self.store.schema}.relay_checkpoints WHERE relay = $1",
            self.name,
        )
        return int(position or 0)

    async def save_checkpoint(self, position: int) -> None:
        await self.store.pool.execute(
            f"INSERT INTO {self.store.schema}.relay_checkpoints (relay, position) VALUES ($1, $2) "
            # Never backwards: a leader that lost its lock unnoticed may still write a position
            # its successor has passed.
            "ON CONFLICT (relay) DO UPDATE "
            "SET position = greatest(relay_checkpoints.position, excluded.position)",
            self.name,
            position,
        )

    async def publish(self, events: list[RecordedEvent]) -> None:
        """Publish in order, pipelined, and return once JetStream has stored them all, in that
        order (see the module)."""
        nc: NatsClient = self.js._nc  # the JetStream context's own connection (nats-py)
        inbox = await self._ack_inbox(nc)
        loop = asyncio.get_running_loop()
        tokens = [str(self._sent + i) for i in range(len(events))]
        self._sent += len(events)
        acks = [self._acks.setdefault(token, loop.create_future()) for token in tokens]
        try:
            previous = None
            for token, event in zip(tokens, events, strict=True):
                subject, body, _, _, headers = self._message(event)
                if previous is not None:
                    headers[EXPECTED_LAST_MSG_ID] = previous
                await self._send(nc, subject, body, f"{inbox}.{token}", headers)
                previous = headers["Nats-Msg-Id"]
            await asyncio.wait_for(asyncio.gather(*acks), self.ack_timeout)
        finally:
            for token, ack in zip(tokens, acks, strict=True):
                del self._acks[token]  # an ack still on its way is dropped when it comes
                if ack.done() and not ack.cancelled():
                    ack.exception()  # seen: a refusal after the first one is no news
                ack.cancel()

    async def _ack_inbox(self, nc: NatsClient) -> str:
        if self._inbox is None:  # nats-py subscribes it again after every reconnect
            inbox = nc.new_inbox()
            await nc.subscribe(f"{inbox}.*", cb=self._on_ack)
            self._inbox = inbox
        return self._inbox

    async def _on_ack(self, msg: Msg) -> None:
        ack = self._acks.get(msg.subject.rsplit(".", 1)[1])
        if ack is not None and not ack.done():
            _settle(ack, msg)

    async def _send(
        self, nc: NatsClient, subject: str, body: bytes, reply: str, headers: dict[str, str]
    ) -> None:
        await nc.publish(subject, body, reply=reply, headers=headers)

    def _message(self, event: RecordedEvent) -> tuple[str, bytes, None, None, dict[str, str]]:
        doc = event.document
        subject = self.naming.event_subject(
            self.service, doc["stream_type"], doc["stream_id"], doc["event_type"]
        )
        headers = {
            "Nats-Msg-Id": doc["event_id"],
            HEADER_EVENT_TYPE: doc["event_type"],
            HEADER_SCHEMA_VERSION: str(doc["schema_version"]),
            HEADER_CORRELATION_ID: doc["correlation_id"],
        }
        return subject, canonical_bytes(doc), None, None, headers

    async def publish_pending(self) -> int:
        """One pass: publish everything after the checkpoint; returns how many were published."""
        published = 0
        if self._position is None:
            self._position = self._saved = await self.checkpoint()
        while batch := await self.store.read_all(self._position, self.batch_size):
            await self.publish(batch)
            self._position = batch[-1].global_position
            published += len(batch)
            await self._save_if_due()
            if len(batch) < self.batch_size:
                break  # the table's end: an append after the read wakes the leader again
        return published

    async def _save_if_due(self) -> None:
        if self._checkpoint_due_in() == 0.0:
            await self.flush_checkpoint()

    def _checkpoint_due_in(self) -> float | None:
        """Seconds until the unwritten position is due to be written (0: now); None if the
        checkpoint is up to date."""
        if self._position is None or self._position == self._saved:
            return None
        return max(0.0, self._saved_at + self.checkpoint_every - time.monotonic())

    async def flush_checkpoint(self) -> None:
        """Write the position reached, if the checkpoint is behind it."""
        if self._position is not None and self._position != self._saved:
            await self.save_checkpoint(self._position)
            self._saved, self._saved_at = self._position, time.monotonic()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set, retrying after any failure (NATS or PostgreSQL down)."""
        while not stop.is_set():
            try:
                async with self.store.pool.acquire() as conn:
                    if await self._lead(conn, stop):
                        await self._relay_while_leader(conn, stop)
            except Exception as error:  # any outage: back off, then lead again
                log.warning("relay interrupted", relay=self.name, error=repr(error))
                await _sleep_or_stop(stop, self.poll_seconds)

    async def _lead(self, conn: Connection, stop: asyncio.Event) -> bool:
        """Wait to become the leader; False if asked to stop first."""
        key = f"relay:{self.store.schema}"
        while not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
            if await _sleep_or_stop(stop, self.poll_seconds):
                return False
        log.info("relay leading", relay=self.name)
        self._position = self._saved = None
        return True

    async def _relay_while_leader(self, conn: Connection, stop: asyncio.Event) -> None:
        wake = asyncio.Event()

        def on_append(*_: object) -> None:
            wake.set()

        # The pool does not reset released connections (see connect_pool): the leader gives back
        # its session lock and its LISTEN itself, whatever happens after taking the lock.
        try:
            await conn.add_listener(self.store.notify_channel, on_append)
            while not stop.is_set():
                if conn.is_closed():  # the lock went with it: another replica may lead now
                    raise ConnectionError("the leader's connection is gone")
                wake.clear()
                count = await self.publish_pending()
                if count:
                    log.debug("relayed", relay=self.name, count=count)
                due = self._checkpoint_due_in()
                await _wait_any(stop, wake, self.poll_seconds if due is None else due)
                if not wake.is_set():
                    await self.flush_checkpoint()
            await self.flush_checkpoint()  # stopping: the next leader starts from here
        finally:
            await conn.remove_listener(self.store.notify_channel, on_append)
            await conn.execute("SELECT pg_advisory_unlock_all()")


def _settle(ack: asyncio.Future[None], msg: Msg) -> None:
    status = (msg.headers or {}).get("Status")
    if status:  # e.g. 503: no server took it
        ack.set_exception(PublishRefusedError(f"status {status}"))
        return
    reply = json.loads(msg.data)
    if "error" in reply:  # e.g. 10070: its predecessor is not the stream's last message
        ack.set_exception(PublishRefusedError(str(reply["error"])))
    else:
        ack.set_result(None)


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
