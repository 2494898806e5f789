"""The JetStream streams, declared once by the bootstrap job and only bound by services."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from shared.config import SERVICES, Settings
from shared.subjects import Naming


def stream_config(settings: Settings, service: str) -> StreamConfig:
    naming = Naming(settings.namespace)
    return StreamConfig(
        name=naming.stream_name(service),
        subjects=[naming.service_events(service)],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=settings.stream_max_age_seconds,
        num_replicas=settings.stream_replicas,
        # The server default is not what FastStream's docs claim; say it explicitly.
        duplicate_window=settings.duplicate_window_seconds,
        # The streams are the audit trail: nobody may remove a message from them.
        deny_delete=True,
        deny_purge=True,
    )


async def declare_streams(js: JetStreamContext, settings: Settings) -> list[str]:
    """Create each service's stream, or update it to the declared config; returns the names."""
    names = []
    for service in SERVICES:
        config = stream_config(settings, service)
        try:
            await js.stream_info(str(config.name))
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)
        names.append(str(config.name))
    return names
