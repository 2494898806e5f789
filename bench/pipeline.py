"""Events/s through the kernel (store → relay → JetStream → consumer), against the substrate
ceiling: the same durability built from raw asyncpg and nats-py calls, in the same run."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from decimal import Decimal

import asyncpg
import nats
from nats.aio.msg import Msg
from nats.js.api import StorageType, StreamConfig

from bench.common import Figure, bench_namespace, rate, repeat
from shared.bootstrap import prepare
from shared.bus.consumer import Consumer, Subscribed
from shared.bus.pulling import PullConsumers
from shared.bus.relay import OutboxRelay
from shared.config import SERVICES, Settings, nats_servers
from shared.events import Envelope, EventPayload
from shared.store import EventStore, Transaction, connect_pool
from shared.subjects import Naming

WRITERS = 16


class BenchDeposited(EventPayload):
    stream_type = "bench"
    amount: Decimal


def _event() -> Envelope:
    return Envelope.new(
        BenchDeposited(amount=Decimal("1.00")),
        stream_id=uuid.uuid4(),
        version=1,
        correlation_id=uuid.uuid4(),
        actor="bench",
    )


async def substrate_once(db_url: str, nats_url: str, count: int) -> float:
    """Insert+commit, publish with Nats-Msg-Id and await the ack; pull, dedup row+commit, ack."""
    ns = bench_namespace()
    pool = await connect_pool(db_url, max_size=WRITERS + 4)
    nc = await nats.connect(nats_servers(nats_url))
    js = nc.jetstream()
    schema, stream = f"{ns}_raw", f"{ns}_RAW".upper()
    await pool.execute(
        f"CREATE SCHEMA {schema}; CREATE TABLE {schema}.events (id bigserial PRIMARY KEY, "
        f"event_id uuid UNIQUE, body bytea); CREATE TABLE {schema}.processed (event_id uuid "
        "PRIMARY KEY)"
    )
    await js.add_stream(
        StreamConfig(
            name=stream, subjects=[f"{ns}.raw.>"], storage=StorageType.FILE, duplicate_window=120
        )
    )
    sub = await js.pull_subscribe(f"{ns}.raw.>", durable="raw", stream=stream)
    body = _event().canonical_bytes()

    async def write(n: int) -> None:
        acks = []
        for _ in range(n):
            event_id = uuid.uuid4()
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    f"INSERT INTO {schema}.events (event_id, body) VALUES ($1, $2)", event_id, body
                )
            headers = {"Nats-Msg-Id": str(event_id)}
            acks.append(await js.publish_async(f"{ns}.raw.{event_id}", body, headers=headers))
        await asyncio.gather(*acks)

    async def consume_one(msg: Msg) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"INSERT INTO {schema}.processed VALUES ($1) ON CONFLICT DO NOTHING",
                uuid.UUID(msg.headers["Nats-Msg-Id"] if msg.headers else ""),
            )
        await msg.ack()

    async def consume() -> None:
        done = 0
        while done < count:
            with contextlib.suppress(nats.errors.TimeoutError):
                batch = await sub.fetch(256, timeout=1)
                await asyncio.gather(*(consume_one(m) for m in batch))
                done += len(batch)

    started = time.perf_counter()
    consumer = asyncio.create_task(consume())
    await asyncio.gather(*(write(count // WRITERS) for _ in range(WRITERS)))
    await consumer
    result = rate(count, started)
    await js.delete_stream(stream)
    await pool.execute(f"DROP SCHEMA {schema} CASCADE")
    await nc.close()
    await pool.close()
    return result


async def kernel_once(db_url: str, nats_url: str, count: int) -> float:
    """The same flow through `EventStore.append`, `OutboxRelay` and a `Consumer`."""
    settings = Settings(database_url=db_url, nats_url=nats_url, namespace=bench_namespace())
    await prepare(settings)
    pool = await connect_pool(db_url, max_size=WRITERS + 8)
    store = EventStore(pool, settings.schema_for("drafting"))
    await pool.execute(f"CREATE TABLE {store.schema}.effects (event_id uuid)")

    async def effect(event: Envelope, tx: Transaction) -> None:
        await tx.conn.execute(f"INSERT INTO {tx.schema}.effects VALUES ($1)", event.event_id)

    naming = Naming(settings.namespace)
    nc = await nats.connect(nats_servers(nats_url))
    consumer = Consumer("bench", ("drafting",), effect, batch_size=256)
    pulling = PullConsumers([Subscribed(consumer, store, naming)])
    await pulling.start(nc)
    stop = asyncio.Event()
    relay = asyncio.create_task(OutboxRelay(store, nc.jetstream(), naming, "drafting").run(stop))

    async def write(n: int) -> None:
        for _ in range(n):
            await store.append([_event()])

    started = time.perf_counter()
    await asyncio.gather(*(write(count // WRITERS) for _ in range(WRITERS)))
    await _until_processed(store, count)
    result = rate(count, started)
    stop.set()
    await relay
    await pulling.stop()
    await nc.close()
    await _drop(pool, settings)
    await pool.close()
    return result


async def _until_processed(store: EventStore, count: int) -> None:
    query = f"SELECT count(*) FROM {store.schema}.processed_events"
    while await store.pool.fetchval(query) < count:  # noqa: ASYNC110 - nothing to await but the DB
        await asyncio.sleep(0.02)


async def _drop(pool: asyncpg.Pool, settings: Settings) -> None:
    nc = await nats.connect(settings.nats_servers)
    for service in SERVICES:
        await pool.execute(f"DROP SCHEMA {settings.schema_for(service)} CASCADE")
        await nc.jetstream().delete_stream(Naming(settings.namespace).stream_name(service))
    await nc.close()


async def run(db_url: str, nats_url: str, count: int, times: int) -> list[Figure]:
    cmd = f"make bench  # bench.pipeline, {count} events, {WRITERS} writers"
    substrate = await repeat(lambda: substrate_once(db_url, nats_url, count), times)
    kernel = await repeat(lambda: kernel_once(db_url, nats_url, count), times)
    ratios = [k / s for k, s in zip(kernel, substrate, strict=True)]
    return [
        Figure("substrate ceiling (raw asyncpg + nats-py)", "events/s", substrate, cmd),
        Figure("kernel: store → relay → JetStream → consumer", "events/s", kernel, cmd),
        Figure("kernel / substrate", "ratio", ratios, cmd),
    ]
