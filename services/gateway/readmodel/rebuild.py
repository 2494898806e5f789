"""Rebuild the read models from zero by replaying every source stream from JetStream.

Run it with the gateway's consumer stopped (`python -m services.gateway.readmodel.rebuild`), or
into a fresh schema: it empties the read models and the consumer's bookkeeping, replays each
stream in order through the same projection, and leaves the consumer's positions where the
replay ended, so the live consumer resumes after it without doing anything twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import nats
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

import shared.catalogue  # noqa: F401 - every event type must parse
from services.gateway.readmodel.projector import READ_MODEL_TABLES, consumers
from shared.bus.consumer import Consumer
from shared.config import Settings
from shared.events import Envelope
from shared.store import EventStore, Transaction, connect_pool
from shared.subjects import Naming


async def replayed(nc: NatsClient, naming: Naming, source: str) -> AsyncIterator[Envelope]:
    """Every event of one service's stream, in stream order."""
    js = nc.jetstream()
    name = naming.stream_name(source)
    info = await js.stream_info(name)
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            message = await js.get_msg(name, seq)
        except NotFoundError:
            continue
        if message.data:
            yield Envelope.from_document(json.loads(message.data))


async def _forget(store: EventStore) -> None:
    async with store.transaction() as tx:
        for table in READ_MODEL_TABLES:
            await tx.conn.execute(f"DELETE FROM {tx.schema}.{table}")
        for consumer in consumers():
            for table in ("processed_events", "stream_positions"):
                await tx.conn.execute(
                    f"DELETE FROM {tx.schema}.{table} WHERE consumer = $1", consumer.name
                )


async def _apply(tx: Transaction, consumer: Consumer, source: str, event: Envelope) -> None:
    if not consumer.ordered and not consumer.wants(event):
        return
    if not await tx.mark_processed(consumer.name, event.event_id):
        return
    if consumer.ordered:
        await _advance(tx, consumer, source, event)
    if consumer.wants(event):
        await consumer.handle(event, tx)


async def _advance(tx: Transaction, consumer: Consumer, source: str, event: Envelope) -> None:
    await tx.conn.execute(
        f"INSERT INTO {tx.schema}.stream_positions (consumer, source, stream_id, version) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (consumer, source, stream_id) "
        "DO UPDATE SET version = greatest(excluded.version, "
        f"{tx.schema}.stream_positions.version)",
        consumer.name,
        source,
        event.stream_id,
        event.version,
    )


async def rebuild(store: EventStore, nc: NatsClient, naming: Naming) -> int:
    """Empty the read models and replay everything; returns the number of events applied."""
    await _forget(store)
    applied = 0
    for consumer in consumers():
        for source in consumer.sources:
            async for event in replayed(nc, naming, source):
                async with store.transaction() as tx:
                    await _apply(tx, consumer, source, event)
                applied += 1
    return applied


async def main() -> None:
    settings = Settings()
    pool = await connect_pool(settings.database_url, max_size=2)
    nc = await nats.connect(settings.nats_servers)
    try:
        store = EventStore(pool, settings.schema_for("gateway"))
        count = await rebuild(store, nc, Naming(settings.namespace))
        print(f"replayed {count} events")
    finally:
        await nc.close()
        await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
