"""The event store on asyncpg.

Appends are serialised per schema by a transaction-scoped advisory lock: global positions are
then assigned in commit order, so a reader tailing `global_position` never skips an event that
commits late. At IOU volumes one writer at a time per service is far from the bottleneck.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from shared.events import Envelope, JsonDoc, format_utc
from shared.store.errors import ConcurrencyError, DuplicateEventError
from shared.store.migrations import quote_schema

# A connection of its own or one lent by a pool: both run the same queries.
Connection = asyncpg.Connection | PoolConnectionProxy

_COLUMNS = (
    "global_position, stream_id, version, stream_type, event_id, event_type, schema_version, "
    "occurred_at, correlation_id, causation_id, actor, payload"
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def connect_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection
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


def _row(position: int, event: Envelope) -> tuple[Any, ...]:
    return (
        position,
        event.stream_id,
        event.version,
        event.stream_type,
        event.event_id,
        event.event_type,
        event.schema_version,
        event.occurred_at,
        event.correlation_id,
        event.causation_id,
        event.actor,
        event.document()["payload"],
    )


class Transaction:
    """One transaction: appends, idempotency marks and a handler's own SQL commit together."""

    def __init__(self, conn: Connection, schema: str) -> None:
        self.conn = conn
        self.schema = schema

    async def append(self, events: Sequence[Envelope]) -> int:
        """Append events of one stream after `events[0].version - 1`; returns the last position."""
        if not events:
            raise ValueError("nothing to append")
        first = events[0]
        for offset, event in enumerate(events):
            if event.stream_id != first.stream_id or event.version != first.version + offset:
                raise ValueError("events must be consecutive versions of one stream")
        s = self.schema
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"append:{s}")
        actual = await self.conn.fetchval(
            f"SELECT coalesce(max(version), 0) FROM {s}.events WHERE stream_id = $1",
            first.stream_id,
        )
        if actual != first.version - 1:
            raise ConcurrencyError(first.stream_id, first.version - 1, actual)
        last = int(
            await self.conn.fetchval(f"SELECT coalesce(max(global_position), 0) FROM {s}.events")
        )
        rows = [_row(last + i, e) for i, e in enumerate(events, start=1)]
        try:
            await self.conn.executemany(
                f"INSERT INTO {s}.events ({_COLUMNS}) VALUES "
                "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                rows,
            )
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "events_stream_version":
                raise ConcurrencyError(first.stream_id, first.version - 1, -1) from error
            raise DuplicateEventError(str(error)) from error
        # Wakes the relay at once instead of at its next poll; delivered only on commit.
        await self.conn.execute("SELECT pg_notify($1, $2)", f"{s}_appended", str(last + len(rows)))
        return last + len(rows)

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

    async def append(self, events: Sequence[Envelope]) -> int:
        async with self.transaction() as tx:
            return await tx.append(events)

    async def stream_version(self, stream_id: uuid.UUID) -> int:
        version: int = await self.pool.fetchval(
            f"SELECT coalesce(max(version), 0) FROM {self.schema}.events WHERE stream_id = $1",
            stream_id,
        )
        return version

    async def read_stream(self, stream_id: uuid.UUID) -> list[Envelope]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM {self.schema}.events WHERE stream_id = $1 ORDER BY version",
            stream_id,
        )
        return [Envelope.from_document(_document(r)) for r in rows]

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
