"""Our event store against the peer a Python user would pick: the `eventsourcing` library's
PostgreSQL application recorder, same database, same run. Both take a table lock or an advisory
lock per append so that readers never skip a late commit, and both commit once per event."""

from __future__ import annotations

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from bench.common import Figure, bench_namespace, repeat
from bench.pipeline import BenchDeposited
from shared.events import Envelope
from shared.store import EventStore, apply_migrations, connect_pool

CONCURRENCY = 16
STREAM_LENGTH = 10_000


def _event(stream_id: uuid.UUID, version: int) -> Envelope:
    return Envelope.new(
        BenchDeposited(amount=Decimal("1.00")),
        stream_id=stream_id,
        version=version,
        correlation_id=uuid.uuid4(),
        actor="bench",
    )


def _datastore(db_url: str, schema: str) -> PostgresDatastore:
    url = urlsplit(db_url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    return PostgresDatastore(
        dbname=url.path.lstrip("/") or "postgres",
        host=query.get("host") or url.hostname or "127.0.0.1",
        port=query.get("port") or url.port or 5432,
        user=url.username or "postgres",
        password=url.password or "",
        pool_size=CONCURRENCY,
        schema=schema,
    )


class Peer:
    """The eventsourcing recorder, driven from threads as its synchronous API expects."""

    def __init__(self, db_url: str) -> None:
        self.schema = bench_namespace()
        self.datastore = _datastore(db_url, self.schema)
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(f"CREATE SCHEMA {self.schema}")
        self.recorder = PostgresApplicationRecorder(self.datastore)
        self.recorder.create_table()
        self.state = _event(uuid.uuid4(), 1).canonical_bytes()

    def append(self, count: int) -> None:
        for _ in range(count):
            self.recorder.insert_events([StoredEvent(uuid.uuid4(), 1, "bench", self.state)])

    def append_rate(self, count: int, writers: int) -> float:
        started = time.perf_counter()
        with ThreadPoolExecutor(writers) as pool:
            list(pool.map(self.append, [count // writers] * writers))
        return count / (time.perf_counter() - started)

    def read_rate(self) -> float:
        stream = uuid.uuid4()
        events = [StoredEvent(stream, v, "bench", self.state) for v in range(1, STREAM_LENGTH + 1)]
        for start in range(0, STREAM_LENGTH, 1000):
            self.recorder.insert_events(events[start : start + 1000])
        started = time.perf_counter()
        assert len(self.recorder.select_events(stream)) == STREAM_LENGTH
        return STREAM_LENGTH / (time.perf_counter() - started)

    def close(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(f"DROP SCHEMA {self.schema} CASCADE")
        self.datastore.close()


async def ours(db_url: str, count: int, writers: int) -> tuple[float, float]:
    """(appends/s, events read/s from one 10,000-event stream)."""
    pool = await connect_pool(db_url, max_size=CONCURRENCY + 2)
    store = EventStore(pool, bench_namespace())
    await apply_migrations(pool, store.schema)

    async def write(n: int) -> None:
        for _ in range(n):
            await store.append([_event(uuid.uuid4(), 1)])

    started = time.perf_counter()
    await asyncio.gather(*(write(count // writers) for _ in range(writers)))
    appends = count / (time.perf_counter() - started)
    stream = uuid.uuid4()
    for start in range(1, STREAM_LENGTH + 1, 1000):
        await store.append([_event(stream, v) for v in range(start, start + 1000)])
    started = time.perf_counter()
    assert len(await store.read_stream(stream)) == STREAM_LENGTH
    reads = STREAM_LENGTH / (time.perf_counter() - started)
    await pool.execute(f"DROP SCHEMA {store.schema} CASCADE")
    await pool.close()
    return appends, reads


async def run(db_url: str, count: int, times: int) -> list[Figure]:
    cmd = f"make bench  # bench.event_store, {count} appends"
    figures: list[Figure] = []
    for writers, label in ((1, "sequential"), (CONCURRENCY, f"{CONCURRENCY} concurrent")):
        mine: list[float] = []
        peer: list[float] = []
        for _ in range(times):
            mine.append((await ours(db_url, count, writers))[0])
            recorder = Peer(db_url)
            peer.append(await asyncio.to_thread(recorder.append_rate, count, writers))
            recorder.close()
        ratios = [m / p for m, p in zip(mine, peer, strict=True)]
        figures += [
            Figure(f"appends, {label}: ours", "events/s", mine, cmd),
            Figure(f"appends, {label}: eventsourcing", "events/s", peer, cmd),
            Figure(f"appends, {label}: ours / eventsourcing", "ratio", ratios, cmd),
        ]
    mine_reads = [(await ours(db_url, 0, 1))[1] for _ in range(times)]
    peer_reads = await repeat(lambda: asyncio.to_thread(_peer_read, db_url), times)
    figures += [
        Figure(f"read a {STREAM_LENGTH:,}-event stream: ours", "events/s", mine_reads, cmd),
        Figure(
            f"read a {STREAM_LENGTH:,}-event stream: eventsourcing", "events/s", peer_reads, cmd
        ),
    ]
    return figures


def _peer_read(db_url: str) -> float:
    recorder = Peer(db_url)
    try:
        return recorder.read_rate()
    finally:
        recorder.close()
