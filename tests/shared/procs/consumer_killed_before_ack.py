"""A consumer that is SIGKILLed after its transaction committed, before the message is acked."""

from __future__ import annotations

import asyncio
import os
import signal

from nats.aio.msg import Msg

from shared.config import Settings
from shared.store import EventStore, connect_pool
from tests.shared.bus_support import running
from tests.shared.test_consumer import crash_test_consumer


async def die(self: Msg) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def main() -> None:
    settings = Settings()
    pool = await connect_pool(settings.database_url)
    store = EventStore(pool, settings.schema_for("drafting"))
    Msg.ack = die  # type: ignore[method-assign]
    async with running(settings, store, crash_test_consumer()):
        await asyncio.sleep(60)


asyncio.run(main())
