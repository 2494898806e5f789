"""Reading what the audit compares: every service's store, every JetStream stream, the log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from services.evidence.audit.canonical import canonical_of, decode_json
from services.evidence.audit.store_checks import ServiceData, StoredEvent, published_documents
from services.evidence.audit.stream import StreamClient
from services.evidence.audit.stream import read_stream as read_stream
from services.evidence.domain.proofs import Node
from services.evidence.store import LogStore, StoredLeaf
from shared.catalogue.evidence import CheckpointPublished
from shared.events import JsonDoc, format_utc
from shared.subjects import Naming

PAGE = 5000

# The envelope's columns, ids as text: the document is built from them as the event store's
# reader builds it (`shared.store.postgres`), without a UUID object per id or a jsonb codec.
_EVENT_COLUMNS = (
    "global_position, event_id::text, event_type, schema_version, stream_type, stream_id::text, "
    "version, occurred_at, correlation_id::text, causation_id::text, actor, payload::text, "
    "recorded_at"
)


@dataclass(frozen=True)
class LogData:
    leaves: list[StoredLeaf]
    nodes: dict[Node, bytes]
    checkpoints: list[tuple[int, bytes, str]]


async def schema_exists(pool: asyncpg.Pool, schema: str) -> bool:
    return bool(await pool.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.events"))


def _stored_event(row: asyncpg.Record) -> StoredEvent:
    (position, event_id, event_type, schema_version, stream_type, stream_id, version) = row[:7]
    occurred_at, correlation_id, causation_id, actor, payload_text, recorded_at = row[7:]
    payload, plain = decode_json(payload_text)
    document: JsonDoc = {
        "event_id": event_id,
        "event_type": event_type,
        "schema_version": schema_version,
        "stream_type": stream_type,
        "stream_id": stream_id,
        "version": version,
        "occurred_at": format_utc(occurred_at),
        "correlation_id": correlation_id,
        "causation_id": causation_id,
        "actor": actor,
        "payload": payload,
    }
    body = canonical_of(document, plain)
    return StoredEvent(position, event_id, event_type, stream_id, version, recorded_at, body)


async def read_events(pool: asyncpg.Pool, schema: str) -> list[StoredEvent]:
    """Every event of a store in position order, from one snapshot, fetched in large chunks."""
    events: list[StoredEvent] = []
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        cursor = await conn.cursor(
            f"SELECT {_EVENT_COLUMNS} FROM {schema}.events ORDER BY global_position"
        )
        while rows := await cursor.fetch(PAGE):
            events += map(_stored_event, rows)
    return events


async def relay_position(pool: asyncpg.Pool, schema: str, service: str) -> int:
    position = await pool.fetchval(
        f"SELECT position FROM {schema}.relay_checkpoints WHERE relay = $1", f"{service}-relay"
    )
    return int(position or 0)


async def read_service(
    pool: asyncpg.Pool, nc: StreamClient | None, naming: Naming, service: str, schema: str
) -> ServiceData:
    # On a live system the order of the reads makes each comparison sound: whatever the relay
    # checkpointed is on the stream when the stream is read, and whatever is on the stream was
    # committed before the store is read (else a new event would look inserted or deleted).
    relayed = await relay_position(pool, schema, service)
    bodies = await read_stream(nc, naming, service) if nc else None
    events = await read_events(pool, schema)
    if bodies is None:
        return ServiceData(service, events, relayed, None, None)
    # Matched now, so that the raw copies (as many as the events) are let go before the checks.
    published, order = published_documents(bodies, events)
    return ServiceData(service, events, relayed, published, order)


async def read_log(
    pool: asyncpg.Pool,
    schema: str,
    on_snapshot: Callable[[], None] = lambda: None,
    *,
    with_events: bool = True,
) -> LogData:
    """The log as of one snapshot; `on_snapshot` is called once that snapshot is taken.
    `with_events`: each leaf's copy of its event's bytes, the witness of last resort when the
    streams are not read (else each leaf's `event` is left empty)."""
    log = LogStore(schema)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        leaves = page = await log.leaves_page(conn, 0, PAGE, with_events=with_events)
        on_snapshot()  # a repeatable-read transaction's snapshot is its first query's
        while len(page) == PAGE:
            start = leaves[-1].index + 1
            page = await log.leaves_page(conn, start, PAGE, with_events=with_events)
            leaves += page
        nodes = {
            Node(r["level"], r["node_index"]): bytes(r["hash"])
            for r in await conn.fetch(f"SELECT level, node_index, hash FROM {schema}.tree_nodes")
        }
        rows = await conn.fetch(
            f"SELECT tree_size, root_hash, note FROM {schema}.checkpoints ORDER BY tree_size"
        )
    return LogData(
        leaves, nodes, [(r["tree_size"], bytes(r["root_hash"]), r["note"]) for r in rows]
    )


def published_checkpoints(events: list[StoredEvent]) -> list[tuple[int, bytes]]:
    kind = CheckpointPublished.event_type()
    payloads = [e.document()["payload"] for e in events if e.event_type == kind]
    return [(int(p["tree_size"]), bytes.fromhex(p["root_hash"])) for p in payloads]
