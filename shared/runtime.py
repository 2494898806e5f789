"""What every service process does: migrate, consume, relay, answer liveness and metrics, trace,
stop cleanly.

Stopping (SIGTERM or SIGINT): the front door closes, the consumers stop fetching and handle the
messages in hand, whose handlers commit and ack; the relay and background work return; the
connections close. A stop that hangs (NATS or PostgreSQL gone) exits hard at the deadline, and
what was not acked is redelivered to another replica after the consumer's ack wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
import nats
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient

import shared.catalogue  # noqa: F401 - registers every event type, so any event can be parsed
from shared.bus.consumer import Consumer, document_consumers, subscribe, subscribed
from shared.bus.pulling import PullConsumers
from shared.commands import CommandClient, document_commands, serve_commands
from shared.config import Settings, service_settings
from shared.events import EventPayload
from shared.health import ASGIApplication, AsgiServer, Check, HealthServer
from shared.logging import configure_logging, get_logger
from shared.memory import TRIM_EVERY, release_free_memory_every
from shared.observability import TRACE_CONTEXTS, Telemetry
from shared.store import EventStore, apply_migrations, connect_pool
from shared.store.migrations import Migration
from shared.subjects import Naming

log = get_logger(__name__)


@dataclass(frozen=True)
class ServiceContext:
    settings: Settings
    store: EventStore
    broker: NatsBroker
    naming: Naming
    nc: NatsClient
    # Set when the service is asked to stop: background work returns soon after.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    background: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    telemetry: Telemetry | None = None

    @property
    def commands(self) -> CommandClient:
        """For calling other services' commands (in the caller's trace, when traced)."""
        if self.telemetry is not None:
            return self.telemetry.command_client(self.nc, self.naming)
        return CommandClient(self.nc, self.naming)

    def in_background(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `work()` once the service is up, until it returns; it must return soon after
        `stopping` is set. The runtime waits for it before closing the connections it uses."""
        self.background.append(work)


# Builds the ASGI app a service serves over HTTP (the gateway); it must answer `/healthz`.
HttpAppFactory = Callable[[ServiceContext, Check], ASGIApplication]


@dataclass(frozen=True)
class ServiceDefinition:
    """A service as the runtime sees it: its migrations, its consumers and its other wiring."""

    name: str
    migrations: list[Migration] = field(default_factory=list)
    consumers: tuple[Consumer, ...] = ()
    wire: Callable[[ServiceContext], None] | None = None
    http_app: HttpAppFactory | None = None


def wire(definition: ServiceDefinition, context: ServiceContext) -> None:
    """Subscribe the service's consumers and let it register its commands on `context.broker`."""
    for consumer in definition.consumers:
        subscribe(context.broker, consumer, context.store, context.naming)
    if definition.wire is not None:
        definition.wire(context)


def load_service(name: str) -> ServiceDefinition:
    definition: ServiceDefinition = importlib.import_module(f"services.{name}.app").service
    return definition


class ServiceProcess:
    """One running replica of a service."""

    def __init__(
        self,
        definition: ServiceDefinition,
        settings: Settings,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.definition = definition
        self.settings = service_settings(definition.name, settings)
        self.naming = Naming(self.settings.namespace)
        self.stopping = asyncio.Event()
        self.telemetry = telemetry or Telemetry(definition.name, self.settings.namespace)

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            self.telemetry.close()

    async def _run(self) -> None:
        settings, name, telemetry = self.settings, self.definition.name, self.telemetry
        pool = await connect_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        store = telemetry.event_store(pool, settings.schema_for(name))
        await apply_migrations(pool, store.schema, [*self.definition.migrations, TRACE_CONTEXTS])
        servers = settings.nats_servers
        # Reconnect for ever: a service outlives any one node of a cluster (and the server).
        nc = await nats.connect(servers, name=f"{name}-relay", max_reconnect_attempts=-1)
        broker = NatsBroker(
            servers,
            name=f"{name}-broker",  # its pull consumers and commands, as the servers list it
            max_reconnect_attempts=-1,
            graceful_timeout=20.0,
            log_level=logging.DEBUG,
        )
        context = ServiceContext(
            settings, store, broker, self.naming, nc, self.stopping, telemetry=telemetry
        )
        self._wire(context)
        front = self._front_door(context, self._checker(pool, nc, broker))
        await broker.start()
        commands = await serve_commands(broker, around=telemetry.command_scope)
        consumers = PullConsumers(subscribed(broker), around=telemetry.message_scope)
        await consumers.start(broker.connection)
        # Subscriptions reach the server asynchronously: be reachable before saying "live".
        await broker.connection.flush()
        relay = asyncio.create_task(
            telemetry.relay(store, nc.jetstream(), self.naming).run(self.stopping)
        )
        telemetry.watch(store, nc.jetstream(), consumers.durables())
        context.in_background(lambda: release_free_memory_every(TRIM_EVERY, self.stopping))
        background = [asyncio.create_task(work()) for work in context.background]
        port = await front.start()
        log.info("service started", service=name, port=port)
        await self.stopping.wait()
        log.info("service stopping", service=name)
        await front.stop()
        # What is in hand is answered, committed and acked; nothing more comes.
        await asyncio.gather(commands.drain(within=10.0), consumers.stop())
        await broker.stop()
        for outcome in await asyncio.gather(relay, *background, return_exceptions=True):
            if isinstance(outcome, BaseException):
                log.error("background work failed", service=name, error=repr(outcome))
        await nc.drain()
        await pool.close()
        log.info("service stopped", service=name)

    def _front_door(self, context: ServiceContext, check: Check) -> HealthServer | AsgiServer:
        """The service's one port: its HTTP app if it has one, else liveness and metrics."""
        host, port = self.settings.health_host, self.settings.health_port
        if self.definition.http_app is None:
            return HealthServer(check, host, port, self.definition.name, self.telemetry.exposition)
        app = self.definition.http_app(context, check)
        return AsgiServer(self.telemetry.http(app), host, port)

    def _wire(self, context: ServiceContext) -> None:
        wire(self.definition, context)

    @staticmethod
    def _checker(pool: asyncpg.Pool, nc: NatsClient, broker: NatsBroker) -> Check:
        async def check() -> bool:
            if not nc.is_connected or not await broker.ping(timeout=1.0):
                return False
            return bool(await pool.fetchval("SELECT true"))

        return check


def jetstream_durables(broker: NatsBroker) -> list[tuple[str, str]]:
    """(stream, durable) of every JetStream consumer wired on `broker`."""
    return [durable for wired in subscribed(broker) for durable in wired.durables()]


def _exit_if_stuck(seconds: float) -> None:
    # With NATS or PostgreSQL gone, a graceful stop can hang in reconnects and flushes; an
    # orchestrator would kill us anyway, so leave in time. Unacked messages are redelivered.
    timer = threading.Timer(seconds, os._exit, args=(3,))
    timer.daemon = True
    timer.start()


def serve(name: str, settings: Settings | None = None) -> None:
    """Run one service until SIGTERM or SIGINT."""
    settings = settings or Settings()
    configure_logging(settings)
    process = ServiceProcess(load_service(name), settings)

    def stop() -> None:
        process.stopping.set()
        _exit_if_stuck(process.settings.shutdown_deadline_seconds)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, stop)
        await process.run()

    asyncio.run(main())


# --- the bus as documentation ---------------------------------------------------------------


def offline_broker(name: str, namespace: str) -> NatsBroker:
    """A broker, never connected, with everything the service wires on it: its subscribers
    (consumers, commands) for documentation and inspection."""
    settings = Settings(namespace=namespace, nats_url="nats://nats:4222", env="dev")
    broker = NatsBroker(settings.nats_url)
    # Nothing here is ever called: wiring only registers handlers.
    store = EventStore(cast(asyncpg.Pool, None), settings.schema_for(name))
    context = ServiceContext(settings, store, broker, Naming(namespace), NatsClient())
    wire(load_service(name), context)
    document_commands(broker)
    document_consumers(broker)
    return broker


def asyncapi_document(name: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of one service: the events it publishes (one channel per event
    type, its payload schema) and what it subscribes to (its consumers and its commands).

    Wired for the default namespace on a broker that never connects, so the document depends on
    the code alone."""
    from faststream.specification import AsyncAPI

    broker = offline_broker(name, "jietiao")
    naming = Naming("jietiao")
    for payload in _published_events(name):
        subject = naming.event_subject(name, payload.stream_type, "*", payload.__name__)
        broker.publisher(
            subject,
            title=f"{name}: {payload.__name__}",
            description=(payload.__doc__ or "").strip() or None,
            schema=payload,
        )
    spec = AsyncAPI(
        broker,
        title=f"Jietiao {name}",
        version="1.0.0",
        description=_ENVELOPE_NOTE
        + (importlib.import_module(f"services.{name}.app").__doc__ or ""),
        schema_version="3.0.0",
    )
    document: dict[str, Any] = json.loads(spec.to_specification().to_json())
    return document


_ENVELOPE_NOTE = (
    "Every event travels as the JSON envelope of `shared.events.Envelope` (event_id, event_type, "
    "schema_version, stream_type, stream_id, version, occurred_at, correlation_id, causation_id, "
    "actor, payload) with headers `Nats-Msg-Id` (the event id), `Jietiao-Event-Type`, "
    "`Jietiao-Schema-Version`, `Jietiao-Correlation-Id` and, when traced, `traceparent`; each "
    "event channel's schema is its `payload`. Commands are request/reply: the reply is "
    '`{"ok": true, "result": ...}` or `{"ok": false, "error": {code, message, message_zh, '
    "field}}`.\n\n"
)


def _published_events(name: str) -> list[type[EventPayload]]:
    module = f"shared.catalogue.{name}"
    return sorted(
        (c for c in EventPayload._registry.values() if c.__module__ == module),
        key=lambda c: c.__name__,
    )
