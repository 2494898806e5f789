"""The event store on asyncpg.

Appends are serialised per schema by a transaction-scoped advisory lock: global positions are
then assigned in commit order, so a reader tailing `global_position` never skips an event that
commits late. At IOU volumes one writer at a time per service is far from the bottleneck.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from shared.events import Envelope, JsonDoc, format_utc
from shared.store.errors import ConcurrencyError, DuplicateEventError
from shared.store.migrations import quote_schema

# A connection of its own or one lent by a pool: both run the same queries.
Connection = asyncpg.Connection | PoolConnectionProxy

# Raised by append_events() when the stream is not at the expected version.
_STREAM_MOVED_ON = "JT409"

_COLUMNS = (
    "global_position, stream_id, version, stream_type, event_id, event_type, schema_version, "
    "occurred_at, correlation_id, causation_id, actor, payload"
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Nothing to undo: asyncpg still rolls back an open transaction on release, and the one
    holder of session state (the relay's lock and LISTEN) gives it back itself. The default
    reset costs a round trip per release: half of all the services' queries."""


async def connect_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    # No expiry timers for idle connections or cached statements: asyncpg arms one per release
    # and per prepared statement, and each timer holds the context it was armed in (with the
    # message being handled) for its 300 s, so memory climbed with throughput.
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        max_inactive_connection_lifetime=0,
        max_cached_statement_lifetime=0,
    )
    assert pool is not None
    return pool


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored: its position and the document exactly as it was written."""

    global_position: int
    document: JsonDoc

    def envelope(self) -> Envelope:
        return Envelope.from_document(self.document)


def _document(row: asyncpg.Record) -> JsonDoc:
    return {
        "event_id": str(row["event_id"]),
        "event_type": row["event_type"],
        "schema_version": row["schema_version"],
        "stream_type": row["stream_type"],
        "stream_id": str(row["stream_id"]),
        "version": row["version"],
        "occurred_at": format_utc(row["occurred_at"]),
        "correlation_id": str(row["correlation_id"]),
        "causation_id": str(row["causation_id"]) if row["causation_id"] else None,
        "actor": row["actor"],
        "payload": row["payload"],
    }


def _check_consecutive(events: Sequence[Envelope]) -> None:
    if not events:
        raise ValueError("nothing to append")
    first = events[0]
    for offset, event in enumerate(events):
        if event.stream_id != first.stream_id or event.version != first.version + offset:
            raise ValueError("events must be consecutive versions of one stream")
        if event.stream_type != first.stream_type:
            raise ValueError("events of one stream must share its stream type")


APPEND_ARGUMENTS = 11  # how many parameters `append_events` takes


def append_call(schema: str, first: int = 1) -> str:
    """`<schema>.append_events($first, ..., $first+10)`: the call a statement makes with
    `append_arguments` bound from parameter `first` on."""
    parameters = ", ".join(f"${n}" for n in range(first, first + APPEND_ARGUMENTS))
    return f"{schema}.append_events({parameters})"


def append_arguments(events: Sequence[Envelope]) -> tuple[Any, ...]:
    """`append_events`' parameters ($1..$11), for a statement that appends and writes a service's
    own rows in one round trip (`INSERT ... SELECT ... FROM append_events(...)`); raised errors
    go through `append_errors`."""
    _check_consecutive(events)
    first = events[0]
    return (
        first.stream_id,
        first.version - 1,
        first.stream_type,
        [e.event_id for e in events],
        [e.event_type for e in events],
        [e.schema_version for e in events],
        [e.occurred_at for e in events],
        [e.correlation_id for e in events],
        [e.causation_id for e in events],
        [e.actor for e in events],
        [e.document()["payload"] for e in events],
    )


@contextmanager
def append_errors(events: Sequence[Envelope]) -> Iterator[None]:
    """Turn what `append_events` raises into the store's errors: the stream moved on (or another
    writer took the version) is a `ConcurrencyError`, an event stored already a
    `DuplicateEventError`."""
    try:
        yield
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name == "events_stream_version":
            raise ConcurrencyError(events[0].stream_id, events[0].version - 1, -1) from error
        if error.constraint_name == "events_event_id":
            raise DuplicateEventError(str(error)) from error
        raise
    except asyncpg.PostgresError as error:
        if error.sqlstate == _STREAM_MOVED_ON:
            actual = int(getattr(error, "detail", -1) or -1)
            raise ConcurrencyError(events[0].stream_id, events[0].version - 1, actual) from error
        raise


async def append_in(conn: Connection, schema: str, events: Sequence[Envelope]) -> int:
    """Append events of one stream after `events[0].version - 1`; returns the last position."""
    arguments = append_arguments(events)
    with append_errors(events):
        position: int = await conn.fetchval(
            f"SELECT {append_call(schema)}",
            *arguments,
        )
    return position


async def _read_stream(
    db: asyncpg.Pool | Connection, schema: str, stream_id: uuid.UUID
) -> list[Envelope]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM {schema}.events WHERE stream_id = $1 ORDER BY version",
        stream_id,
    )
    return [Envelope.from_document(_document(r)) for r in rows]


class Transaction:
    """One transaction: appends, idempotency marks and a handler's own SQL commit together."""

    def __init__(self, conn: Connection, schema: str) -> None:
        self.conn = conn
        self.schema = schema

    async def append(self, events: Sequence[Envelope]) -> int:
        """Append events of one stream after `events[0].version - 1`; returns the last position."""
        return await append_in(self.conn, self.schema, events)

    async def read_stream(self, stream_id: uuid.UUID) -> list[Envelope]:
        """The stream as this transaction sees it, on its own connection: a handler that took a
        second connection from the pool while holding this one could wait for ever once every
        connection is held by such a handler."""
        return await _read_stream(self.conn, self.schema, stream_id)

    async def appended(self, events: Sequence[Envelope]) -> None:
        """Called after a statement of the service's own appended (or tried to append) `events`
        on this transaction's connection: what `append` does besides the append (nothing here;
        the traced store keeps the trace context beside the events that exist)."""

    async def mark_processed(self, consumer: str, event_id: uuid.UUID) -> bool:
        """Record that `consumer` handled `event_id`; False if it already had."""
        inserted = await self.conn.fetchval(
            f"INSERT INTO {self.schema}.processed_events (consumer, event_id) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING RETURNING true",
            consumer,
            event_id,
        )
        return bool(inserted)


class EventStore:
    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        self.schema = quote_schema(schema)

    @property
    def notify_channel(self) -> str:
        return f"{self.schema}_appended"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield Transaction(conn, self.schema)

    @asynccontextmanager
    async def writing(self, events: Sequence[Envelope]) -> AsyncIterator[Connection]:
        """A connection for one statement of the service's own that appends `events` with its
        rows (`append_arguments`): on its own, no BEGIN/COMMIT; the traced store wraps it in a
        transaction that also keeps the trace context, as `append` does."""
        async with self.pool.acquire() as conn:
            yield conn

    async def append(self, events: Sequence[Envelope]) -> int:
        # A single statement commits on its own: no BEGIN/COMMIT round trips around it.
        async with self.pool.acquire() as conn:
            return await append_in(conn, self.schema, events)

    async def stream_version(self, stream_id: uuid.UUID) -> int:
        version: int = await self.pool.fetchval(
            f"SELECT coalesce(max(version), 0) FROM {self.schema}.events WHERE stream_id = $1",
            stream_id,
        )
        return version

    async def read_stream(self, stream_id: uuid.UUID) -> list[Envelope]:
        return await _read_stream(self.pool, self.schema, stream_id)

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM {self.schema}.events WHERE global_position > $1 "
            "ORDER BY global_position LIMIT $2",
            after,
            limit,
        )
        return [RecordedEvent(r["global_position"], _document(r)) for r in rows]

    async def last_position(self) -> int:
        position: int = await self.pool.fetchval(
            f"SELECT coalesce(max(global_position), 0) FROM {self.schema}.events"
        )
        return position
