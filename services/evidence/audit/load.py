"""Reading what the audit compares: every service's store, every JetStream stream, the log."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js import api
from nats.js.errors import FetchTimeoutError, NotFoundError

from services.evidence.audit.store_checks import ServiceData, StoredEvent, published_documents
from services.evidence.domain.proofs import Node
from services.evidence.store import LogStore, StoredLeaf
from shared.catalogue.evidence import CheckpointPublished
from shared.store import EventStore
from shared.subjects import Naming

PAGE = 5000


@dataclass(frozen=True)
class LogData:
    leaves: list[StoredLeaf]
    nodes: dict[Node, bytes]
    checkpoints: list[tuple[int, bytes, str]]


async def schema_exists(pool: asyncpg.Pool, schema: str) -> bool:
    return bool(await pool.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.events"))


async def read_events(pool: asyncpg.Pool, schema: str) -> list[StoredEvent]:
    store = EventStore(pool, schema)
    recorded = {
        str(r["event_id"]): r["recorded_at"]
        for r in await pool.fetch(f"SELECT event_id, recorded_at FROM {store.schema}.events")
    }
    events, position = [], 0
    while page := await store.read_all(position, PAGE):
        events += [
            StoredEvent(r.global_position, r.document, recorded[r.document["event_id"]])
            for r in page
        ]
        position = page[-1].global_position
    return events


async def relay_position(pool: asyncpg.Pool, schema: str, service: str) -> int:
    position = await pool.fetchval(
        f"SELECT position FROM {schema}.relay_checkpoints WHERE relay = $1", f"{service}-relay"
    )
    return int(position or 0)


async def read_stream(nc: NatsClient, naming: Naming, service: str) -> list[bytes]:
    """Every message of a service's stream, in stream order, through an ephemeral consumer."""
    js = nc.jetstream()
    try:
        last = (await js.stream_info(naming.stream_name(service))).state.last_seq
    except NotFoundError:
        return []
    bodies: list[bytes] = []
    if not last:
        return bodies
    sub = await js.pull_subscribe(
        naming.service_events(service),
        stream=naming.stream_name(service),
        config=api.ConsumerConfig(
            ack_policy=api.AckPolicy.NONE,
            deliver_policy=api.DeliverPolicy.ALL,
            inactive_threshold=60,
        ),
    )
    try:
        seq = 0
        while seq < last:
            try:
                msgs = await sub.fetch(PAGE, timeout=2.0)
            except (TimeoutError, FetchTimeoutError):
                break
            bodies += [m.data for m in msgs]
            seq = msgs[-1].metadata.sequence.stream
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()
    return bodies


async def read_service(
    pool: asyncpg.Pool, nc: NatsClient | None, naming: Naming, service: str, schema: str
) -> ServiceData:
    # On a live system the order of the reads makes each comparison sound: whatever the relay
    # checkpointed is on the stream when the stream is read, and whatever is on the stream was
    # committed before the store is read (else a new event would look inserted or deleted).
    relayed = await relay_position(pool, schema, service)
    bodies = await read_stream(nc, naming, service) if nc else None
    published, order = published_documents(bodies) if bodies is not None else (None, [])
    return ServiceData(service, await read_events(pool, schema), relayed, published, order)


async def read_log(
    pool: asyncpg.Pool, schema: str, on_snapshot: Callable[[], None] = lambda: None
) -> LogData:
    """The log as of one snapshot; `on_snapshot` is called once that snapshot is taken."""
    log = LogStore(schema)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        leaves = page = await log.leaves_from(conn, 0, PAGE)
        on_snapshot()  # a repeatable-read transaction's snapshot is its first query's
        while page and (page := await log.leaves_from(conn, leaves[-1].index + 1, PAGE)):
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
    return [
        (int(e.document["payload"]["tree_size"]), bytes.fromhex(e.document["payload"]["root_hash"]))
        for e in events
        if e.document["event_type"] == kind
    ]
