"""A relay that is SIGKILLed after JetStream acked its first batch, before the checkpoint."""

from __future__ import annotations

import asyncio
import os
import signal

import nats

from shared.bus.relay import OutboxRelay
from shared.config import Settings
from shared.store import EventStore, connect_pool
from shared.subjects import Naming


async def main() -> None:
    settings = Settings()
    pool = await connect_pool(settings.database_url)
    nc = await nats.connect(settings.nats_servers)
    store = EventStore(pool, settings.schema_for("drafting"))
    relay = OutboxRelay(
        store, nc.jetstream(), Naming(settings.namespace), "drafting", batch_size=40
    )

    async def die(position: int) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    relay.save_checkpoint = die  # type: ignore[method-assign]
    await relay.publish_pending()


asyncio.run(main())
