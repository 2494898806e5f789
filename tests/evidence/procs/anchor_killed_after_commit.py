"""An evidence process SIGKILLed right after its second batch committed, before any ack of it."""

from __future__ import annotations

import asyncio
import os
import signal

from services.evidence.domain.batch import Incoming
from shared.config import Settings
from shared.store import connect_pool
from tests.evidence.support import anchor_loop, anchoring, evidence_store


async def main() -> None:
    settings = Settings()
    pool = await connect_pool(settings.database_url)
    loop = anchor_loop(evidence_store(pool, settings), settings, ack_wait=1.0, batch_size=300)
    commits = 0
    commit = loop.commit

    async def commit_then_die(events: list[Incoming]) -> bool:
        nonlocal commits
        done = await commit(events)
        commits += 1
        if commits == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return done

    loop.commit = commit_then_die  # type: ignore[method-assign]
    async with anchoring(loop, settings):
        await asyncio.sleep(60)


asyncio.run(main())
