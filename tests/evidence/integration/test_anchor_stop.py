"""Evidence's anchoring stops cleanly: what it fetched but did not anchor is given back (nak) at
once, so another replica anchors it now rather than after the ack wait."""

from __future__ import annotations

import asyncio

import asyncpg
import nats
import pytest

from services.evidence.ingest import AnchorLoop, Delivery
from shared.config import Settings
from shared.store import EventStore
from shared.subjects import Naming
from tests.evidence.support import anchor_loop, anchoring, append_streams, evidence_store, relay
from tests.shared.bus_support import eventually


class SlowWriter(AnchorLoop):
    """Holds its first batch until `go` is set, so that fetched batches wait in its queue."""

    go = asyncio.Event()

    async def process(self, batch: list[Delivery]) -> None:
        await self.go.wait()
        await super().process(batch)


async def drafting_leaves(pool: asyncpg.Pool, settings: Settings) -> list[str]:
    schema = settings.schema_for("evidence")
    rows = await pool.fetch(f"SELECT event_id FROM {schema}.leaves WHERE source = 'drafting'")
    return [str(r["event_id"]) for r in rows]


async def held(nc: nats.NATS, settings: Settings) -> int:
    naming = Naming(settings.namespace)
    info = await nc.jetstream().consumer_info(
        naming.stream_name("drafting"), naming.durable_name("evidence.anchor", "drafting")
    )
    return int(info.num_ack_pending)


@pytest.mark.timeout(60)
async def test_stopping_naks_what_was_fetched_but_not_anchored(
    store: EventStore, pool: asyncpg.Pool, nc: nats.NATS, settings: Settings
) -> None:
    await append_streams(store, streams=50, per_stream=4)
    await relay(store, nc, settings, "drafting")
    base = anchor_loop(evidence_store(pool, settings), settings, ack_wait=30.0, batch_size=10)
    loop = SlowWriter(base.writer, base.store, base.naming, base.sources, batch_size=10)
    loop.go = asyncio.Event()
    client = await nats.connect(settings.nats_servers)
    running = True
    task = asyncio.create_task(loop.run(client, lambda: running))
    try:

        async def batches_waiting() -> bool:
            return loop.queue.qsize() >= 2

        await eventually(batches_waiting, within=20)
        running = False  # while the first batch is still being written
        loop.go.set()
        await asyncio.wait_for(task, 10)
        assert loop.queue.empty()
    finally:
        await client.close()
    # Another replica gets what the stopped one held at once, well inside the 30 s ack wait.
    other = anchor_loop(evidence_store(pool, settings), settings, ack_wait=30.0)

    async def all_anchored_and_acked() -> bool:
        return len(await drafting_leaves(pool, settings)) == 200 and not await held(nc, settings)

    async with anchoring(other, settings):
        await eventually(all_anchored_and_acked, within=10)
