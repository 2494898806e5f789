"""What every service process does: migrate, consume, relay, answer liveness, stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import nats
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient

import shared.catalogue  # noqa: F401 - registers every event type, so any event can be parsed
from shared.bus.consumer import Consumer, subscribe
from shared.bus.relay import OutboxRelay
from shared.commands import CommandClient
from shared.config import Settings, service_settings
from shared.health import ASGIApplication, AsgiServer, Check, HealthServer
from shared.logging import configure_logging, get_logger
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

    @property
    def commands(self) -> CommandClient:
        """For calling other services' commands."""
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


def load_service(name: str) -> ServiceDefinition:
    definition: ServiceDefinition = importlib.import_module(f"services.{name}.app").service
    return definition


class ServiceProcess:
    """One running replica of a service."""

    def __init__(self, definition: ServiceDefinition, settings: Settings) -> None:
        self.definition = definition
        self.settings = service_settings(definition.name, settings)
        self.naming = Naming(self.settings.namespace)
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        settings, name = self.settings, self.definition.name
        pool = await connect_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        store = EventStore(pool, settings.schema_for(name))
        await apply_migrations(pool, store.schema, self.definition.migrations)
        nc = await nats.connect(settings.nats_url, name=f"{name}-relay")
        broker = NatsBroker(settings.nats_url, graceful_timeout=20.0, log_level=logging.DEBUG)
        context = ServiceContext(settings, store, broker, self.naming, nc, self.stopping)
        self._wire(context)
        front = self._front_door(context, self._checker(pool, nc, broker))
        await broker.start()
        # Subscriptions reach the server asynchronously: be reachable before saying "live".
        await broker.connection.flush()
        relay = asyncio.create_task(
            OutboxRelay(store, nc.jetstream(), self.naming, name).run(self.stopping)
        )
        background = [asyncio.create_task(work()) for work in context.background]
        port = await front.start()
        log.info("service started", service=name, port=port)
        await self.stopping.wait()
        log.info("service stopping", service=name)
        await front.stop()
        await broker.stop()  # waits for in-flight handlers, which commit and ack
        for outcome in await asyncio.gather(relay, *background, return_exceptions=True):
            if isinstance(outcome, BaseException):
                log.error("background work failed", service=name, error=repr(outcome))
        await nc.drain()
        await pool.close()

    def _front_door(self, context: ServiceContext, check: Check) -> HealthServer | AsgiServer:
        """The service's one port: its HTTP app if it has one, else just its liveness."""
        host, port = self.settings.health_host, self.settings.health_port
        if self.definition.http_app is None:
            return HealthServer(check, host, port, self.definition.name)
        return AsgiServer(self.definition.http_app(context, check), host, port)

    def _wire(self, context: ServiceContext) -> None:
        for consumer in self.definition.consumers:
            subscribe(context.broker, consumer, context.store, self.naming)
        if self.definition.wire is not None:
            self.definition.wire(context)

    @staticmethod
    def _checker(pool: asyncpg.Pool, nc: NatsClient, broker: NatsBroker) -> Check:
        async def check() -> bool:
            if not nc.is_connected or not await broker.ping(timeout=1.0):
                return False
            return bool(await pool.fetchval("SELECT true"))

        return check


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
