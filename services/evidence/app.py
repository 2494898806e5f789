"""Wiring of the evidence service: its migrations, the anchoring loop and its commands."""

from __future__ import annotations

import asyncio

import nats
from faststream.nats import NatsBroker

from services.evidence.commands import EvidenceCommands, register
from services.evidence.ingest import AnchorLoop
from services.evidence.queries import EvidenceQueries
from services.evidence.settings import EvidenceSettings
from services.evidence.writer import LogWriter
from shared.config import SERVICES
from shared.logging import get_logger
from shared.runtime import ServiceContext, ServiceDefinition
from shared.store import migrations_in

log = get_logger(__name__)
_tasks: set[asyncio.Task[None]] = set()


def anchor_loop(context: ServiceContext, evidence: EvidenceSettings) -> AnchorLoop:
    writer = LogWriter(context.store, evidence.origin, evidence.signers(context.settings.env))
    return AnchorLoop(
        writer,
        context.store,
        context.naming,
        SERVICES,
        batch_size=evidence.batch_size,
        fetch_timeout=evidence.fetch_timeout_seconds,
        ack_wait=evidence.ack_wait_seconds,
    )


async def _anchor_while_running(loop: AnchorLoop, broker: NatsBroker, nats_url: str) -> None:
    # The runtime has no hook for background work, so the loop lives as long as the broker: it
    # starts once the broker runs and stops when `broker.stop()` ends. Its own NATS client, closed
    # rather than drained: the runtime drains its client right after the broker stops, and a
    # drain waits on pull subscriptions still fetching (nats-py), which would hang the shutdown.
    while not broker.running:  # noqa: ASYNC110 - the broker offers no event to wait on
        await asyncio.sleep(0.05)
    nc = await nats.connect(nats_url, name="evidence-anchor")
    try:
        await loop.run(nc, lambda: broker.running)
    except Exception:
        log.exception("anchoring stopped")
        raise
    finally:
        await nc.close()


def wire(context: ServiceContext) -> None:
    evidence = EvidenceSettings()
    env = context.settings.env
    log_keys = [v.vkey() for v in evidence.verifiers(env)]
    register(context, EvidenceCommands(EvidenceQueries(context.store, log_keys)))
    task = asyncio.get_running_loop().create_task(
        _anchor_while_running(
            anchor_loop(context, evidence), context.broker, context.settings.nats_url
        )
    )
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


service = ServiceDefinition(
    name="evidence", migrations=migrations_in("services.evidence", "evidence"), wire=wire
)
