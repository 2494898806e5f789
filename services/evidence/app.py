"""Wiring of the evidence service: its migrations, the anchoring loop and its commands."""

from __future__ import annotations

import nats

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


async def _anchor_until_stopped(loop: AnchorLoop, context: ServiceContext) -> None:
    # Its own NATS client, closed rather than drained: a drain waits on pull subscriptions still
    # fetching (nats-py), which would hang the shutdown.
    nc = await nats.connect(
        context.settings.nats_servers, name="evidence-anchor", max_reconnect_attempts=-1
    )
    try:
        await loop.run(nc, lambda: not context.stopping.is_set())
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
    loop = anchor_loop(context, evidence)
    context.in_background(lambda: _anchor_until_stopped(loop, context))


service = ServiceDefinition(
    name="evidence", migrations=migrations_in("services.evidence", "evidence"), wire=wire
)
