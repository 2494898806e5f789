"""One-shot preparation of a deployment: every service's schema and every JetStream stream."""

from __future__ import annotations

import nats

from shared.bus.streams import declare_streams
from shared.config import SERVICES, Settings, service_settings
from shared.logging import get_logger
from shared.store import apply_migrations, connect_pool
from shared.store.migrations import Migration

log = get_logger(__name__)


def service_migrations(service: str) -> list[Migration]:
    from shared.runtime import load_service

    return load_service(service).migrations


async def migrate_service(settings: Settings, service: str) -> list[str]:
    own = service_settings(service, settings)
    pool = await connect_pool(own.database_url, max_size=1)
    try:
        return await apply_migrations(pool, own.schema_for(service), service_migrations(service))
    finally:
        await pool.close()


async def prepare(settings: Settings) -> None:
    for service in SERVICES:
        applied = await migrate_service(settings, service)
        log.info("migrated", service=service, applied=applied)
    nc = await nats.connect(settings.nats_servers)
    try:
        streams = await declare_streams(nc.jetstream(), settings)
        log.info("streams declared", streams=streams)
    finally:
        await nc.close()
