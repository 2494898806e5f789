"""What the evidence tests share: events published through the real relay, a running log."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import nats

from services.evidence.domain.batch import Incoming
from services.evidence.domain.note import Signer
from services.evidence.ingest import AnchorLoop
from services.evidence.settings import dev_signer
from services.evidence.writer import LogWriter
from shared.bus.relay import OutboxRelay
from shared.config import SERVICES, Settings
from shared.events import Envelope, canonical_bytes
from shared.store import EventStore
from shared.subjects import Naming
from tests.shared.sample_events import SampleDeposited, SampleOpened

ORIGIN = "test.jietiao/evidence/v1"


def signer() -> Signer:
    return dev_signer(ORIGIN)


def evidence_store(pool: asyncpg.Pool, settings: Settings) -> EventStore:
    return EventStore(pool, settings.schema_for("evidence"))


def note_events(note_id: uuid.UUID, count: int) -> list[Envelope]:
    """A note-like stream: opened, then deposits, consecutive versions."""
    correlation = uuid.uuid4()
    events = [
        Envelope.new(
            SampleOpened(owner="o") if v == 1 else SampleDeposited(amount=v),
            stream_id=note_id,
            version=v,
            correlation_id=correlation,
            actor="test",
            occurred_at=datetime.now(UTC),
        )
        for v in range(1, count + 1)
    ]
    return events


async def append_streams(store: EventStore, streams: int, per_stream: int) -> list[Envelope]:
    events = []
    for _ in range(streams):
        batch = note_events(uuid.uuid4(), per_stream)
        await store.append(batch)
        events += batch
    return events


async def relay(store: EventStore, nc: nats.NATS, settings: Settings, service: str) -> int:
    naming = Naming(settings.namespace)
    return await OutboxRelay(store, nc.jetstream(), naming, service).publish_pending()


def anchor_loop(
    store: EventStore, settings: Settings, *, ack_wait: float = 30.0, batch_size: int = 500
) -> AnchorLoop:
    writer = LogWriter(store, ORIGIN, [signer()])
    return AnchorLoop(
        writer,
        store,
        Naming(settings.namespace),
        SERVICES,
        batch_size=batch_size,
        fetch_timeout=0.3,
        ack_wait=ack_wait,
    )


@contextlib.asynccontextmanager
async def anchoring(loop: AnchorLoop, settings: Settings) -> AsyncIterator[None]:
    nc = await nats.connect(settings.nats_servers)
    running = True
    task = asyncio.create_task(loop.run(nc, lambda: running))
    try:
        yield
    finally:
        running = False
        await asyncio.wait_for(task, 10)
        await nc.close()


async def leaf_count(pool: asyncpg.Pool, settings: Settings) -> int:
    count: int = await pool.fetchval(
        f"SELECT count(*) FROM {settings.schema_for('evidence')}.leaves"
    )
    return count


async def total_events(pool: asyncpg.Pool, settings: Settings) -> int:
    total = 0
    for service in SERVICES:
        total += await pool.fetchval(f"SELECT count(*) FROM {settings.schema_for(service)}.events")
    return total


async def anchor_everything(pool: asyncpg.Pool, nc: nats.NATS, settings: Settings) -> None:
    """Relay every store and anchor until the log holds every event, the log's own included."""
    ev_store = evidence_store(pool, settings)
    stores = {s: EventStore(pool, settings.schema_for(s)) for s in SERVICES}
    async with anchoring(anchor_loop(ev_store, settings), settings):
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            published = sum([await relay(stores[s], nc, settings, s) for s in SERVICES])
            if not published and await leaf_count(pool, settings) == await total_events(
                pool, settings
            ):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the log did not catch up")
            await asyncio.sleep(0.2)


def incoming(events: list[Envelope], source: str = "drafting") -> list[Incoming]:
    """Events as the anchor loop hands them to the log writer."""
    return [
        Incoming(
            source=source,
            event_id=str(e.event_id),
            event_type=e.event_type,
            stream_id=str(e.stream_id),
            version=e.version,
            note_id=None,
            event_bytes=canonical_bytes(e.document()),
        )
        for e in events
    ]
