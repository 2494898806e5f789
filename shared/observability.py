"""Metrics and traces of a service process.

Metrics (Prometheus, at `/metrics` on the service's front-door port): every command answered
and every event consumed is counted and timed by handler (a command's subject, a consumer's
durable) and by how it ended (`acked`, `nacked`, `rejected`: a retry or a dead letter), in
FastStream's metric families (`message_scope`); the relay counts what it publishes; gauges read at
scrape time give relay lag, dead letters, JetStream consumer backlog and, for evidence, the tree
size and the age of the latest checkpoint.

Traces (OpenTelemetry): the gateway's HTTP span is carried in the `traceparent` header of every
command it sends; the service that answers continues it (`message_scope`);
the trace context of an append is kept beside the event (`trace_contexts`, same transaction) and
put on the event's JetStream message by the relay, so consumers continue the trace in turn.
Spans are exported by OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is
set; otherwise none is recorded and nothing extra is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased
from opentelemetry.trace import SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.process_collector import ProcessCollector
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.bus.relay import OutboxRelay
from shared.commands import CommandClient
from shared.events import Envelope
from shared.handler_metrics import HandlerMetrics
from shared.health import ASGIApplication
from shared.logging import get_logger
from shared.store import EventStore, RecordedEvent, Transaction
from shared.store.migrations import Migration
from shared.store.postgres import Connection
from shared.subjects import Naming

log = get_logger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_PROPAGATOR = TraceContextTextMapPropagator()
# Probes and scrapes every few seconds would drown the traces that matter.
_UNTRACED_PATHS = frozenset({"/healthz", "/metrics"})

TRACE_CONTEXTS = Migration(
    "observability/0001_trace_contexts",
    # Written in the append's transaction, taken (deleted) by the relay when it publishes.
    "CREATE TABLE IF NOT EXISTS {schema}.trace_contexts ("
    " event_id uuid PRIMARY KEY, traceparent text NOT NULL, tracestate text,"
    " recorded_at timestamptz NOT NULL DEFAULT now())",
)


class TracingSettings(BaseSettings):
    """The standard OpenTelemetry variables this process honours."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    endpoint: str = Field(
        "",
        validation_alias=AliasChoices(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
    )
    disabled: bool = Field(False, validation_alias="OTEL_SDK_DISABLED")
    sample_ratio: float = Field(1.0, ge=0, le=1, validation_alias="JIETIAO_TRACE_SAMPLE_RATIO")

    @property
    def exporting(self) -> bool:
        return bool(self.endpoint) and not self.disabled


def tracer_provider(service: str, namespace: str, settings: TracingSettings) -> TracerProvider:
    resource = Resource.create(
        {"service.name": f"jietiao-{service}", "service.namespace": namespace}
    )
    if not settings.exporting:
        # Still hands out trace ids (log correlation), but records and sends nothing.
        return TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio))
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def current_traceparent() -> dict[str, str]:
    """The sampled trace context of the running code as headers; empty if there is none."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid or not span_context.trace_flags.sampled:
        return {}
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


# --- handler names that stay few: subjects carry a note id each --------------------------------


def handler_name(msg: Msg) -> str:
    """A JetStream message's durable consumer, or a command's subject without the namespace."""
    if msg.reply and msg.reply.startswith("$JS.ACK."):
        with contextlib.suppress(Exception):
            return str(msg.metadata.consumer)
    return msg.subject.partition(".")[2] or msg.subject


# --- the event store and relay, carrying trace context from an append to its message -----------


class TracedTransaction(Transaction):
    async def append(self, events: Sequence[Envelope]) -> int:
        position = await super().append(events)
        await self.appended(events)
        return position

    async def appended(self, events: Sequence[Envelope]) -> None:
        await _remember_trace(self.conn, self.schema, [e.event_id for e in events])


async def _remember_trace(conn: Connection, schema: str, event_ids: list[uuid.UUID]) -> None:
    headers = current_traceparent()
    if headers:
        await conn.execute(
            # Only for events that were appended: a write may decide not to append (the stream
            # moved on), and a context nobody publishes would stay for ever.
            f"INSERT INTO {schema}.trace_contexts (event_id, traceparent, tracestate) "
            f"SELECT event_id, $2, $3 FROM {schema}.events WHERE event_id = ANY($1::uuid[]) "
            "ON CONFLICT DO NOTHING",
            event_ids,
            headers["traceparent"],
            headers.get("tracestate"),
        )


class TracedEventStore(EventStore):
    """An event store whose appends keep the trace context they ran in."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield TracedTransaction(conn, self.schema)

    async def append(self, events: Sequence[Envelope]) -> int:
        if not current_traceparent():
            return await super().append(events)
        async with self.transaction() as tx:
            return await tx.append(events)

    @asynccontextmanager
    async def writing(self, events: Sequence[Envelope]) -> AsyncIterator[Connection]:
        if not current_traceparent():
            async with super().writing(events) as conn:
                yield conn
            return
        async with self.transaction() as tx:
            yield tx.conn
            await tx.appended(events)


class TracingRelay(OutboxRelay):
    """The outbox relay, putting each event's trace context on its message and counting them."""

    def __init__(
        self,
        store: EventStore,
        js: JetStreamContext,
        naming: Naming,
        service: str,
        published: Counter,
        *,
        tracing: bool,
    ) -> None:
        super().__init__(store, js, naming, service)
        self._published = published
        self._tracing = tracing
        self._traces: dict[str, dict[str, str]] = {}

    async def publish(self, events: list[RecordedEvent]) -> None:
        # Taken before publishing: a batch that fails is published again without them, which
        # costs a trace link, never an event.
        self._traces = await self._take_traces(events) if self._tracing else {}
        await super().publish(events)
        self._published.labels(self.service).inc(len(events))

    async def _take_traces(self, events: list[RecordedEvent]) -> dict[str, dict[str, str]]:
        rows = await self.store.pool.fetch(
            f"DELETE FROM {self.store.schema}.trace_contexts WHERE event_id = ANY($1::uuid[]) "
            "RETURNING event_id, traceparent, tracestate",
            [e.document["event_id"] for e in events],
        )
        return {
            str(r["event_id"]): {"traceparent": r["traceparent"]}
            | ({"tracestate": r["tracestate"]} if r["tracestate"] else {})
            for r in rows
        }

    def _message(self, event: RecordedEvent) -> tuple[str, bytes, None, None, dict[str, str]]:
        subject, body, timeout, stream, headers = super()._message(event)
        headers.update(self._traces.get(event.document["event_id"], {}))
        return subject, body, timeout, stream, headers


class TracingCommandClient(CommandClient):
    """Sends commands inside a client span whose context travels in the request's headers."""

    def __init__(self, nc: NatsClient, naming: Naming, tracer: Tracer) -> None:
        super().__init__(nc, naming)
        self._tracer = tracer

    async def _request(self, subject: str, data: bytes, headers: dict[str, str]) -> Msg:
        name = subject.removeprefix(f"{self.naming.namespace}.")
        with self._tracer.start_as_current_span(f"{name} send", kind=SpanKind.CLIENT):
            _PROPAGATOR.inject(headers)
            return await super()._request(subject, data, headers)


# --- the HTTP door --------------------------------------------------------------------------------


def traced_http(app: ASGIApplication, tracer: Tracer, latency: Histogram) -> ASGIApplication:
    """`app` inside a server span continuing the caller's `traceparent`, timed by status."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in _UNTRACED_PATHS:
            await app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        status = {"code": 500}

        async def send_status(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        started = time.perf_counter()
        # The path is left out of the span: invitation links carry their token in it.
        with tracer.start_as_current_span(
            f"HTTP {method}",
            context=_PROPAGATOR.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        ) as span:
            try:
                await app(scope, receive, send_status)
            finally:
                span.set_attribute("http.response.status_code", status["code"])
                latency.labels(method, str(status["code"])).observe(time.perf_counter() - started)

    return wrapped


# --- one process's metrics and tracer ----------------------------------------------------------


class Telemetry:
    """Everything one service process measures and traces, with its own registry."""

    def __init__(
        self,
        service: str,
        namespace: str,
        provider: TracerProvider | None = None,
        settings: TracingSettings | None = None,
    ) -> None:
        settings = settings or TracingSettings()
        self.service = service
        self.provider = provider or tracer_provider(service, namespace, settings)
        self.tracer = self.provider.get_tracer("jietiao")
        self.tracing = provider is not None or settings.exporting
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self._gauges = _Gauges(self.registry)
        self.published = Counter(
            "jietiao_relay_published_events",
            "Events the outbox relay published to JetStream",
            ["service"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "jietiao_http_request_duration_seconds",
            "HTTP requests by method and status",
            ["method", "status"],
            registry=self.registry,
        )
        self._source: _Source | None = None
        # Commands' and consumers' counters, in FastStream's own metric families and labels:
        # dashboards made for FastStream's middleware keep working.
        self._handlers = HandlerMetrics(self.registry, app_name=service)

    @contextlib.contextmanager
    def command_scope(self, msg: Msg) -> Iterator[None]:
        """Around answering a command: `message_scope`, always counted as acked (as FastStream
        counted it: `run_command` answers every failure, as `internal`)."""
        with self.message_scope(msg):
            yield

    @contextlib.contextmanager
    def message_scope(self, msg: Msg) -> Iterator[Callable[[str], None]]:
        """Around handling a command or a consumed event: the metrics FastStream's middleware
        kept for a handler (same names and labels), and with tracing a span in the sender's
        trace. Call what it yields with how the message was settled (`acked`, `nacked`,
        `rejected`); an exception counts as `error`."""
        handler = handler_name(msg)
        with (
            self._handlers.handling(handler, len(msg.data)) as settled,
            self._handler_span(msg, handler),
        ):
            yield settled

    def _handler_span(self, msg: Msg, handler: str) -> contextlib.AbstractContextManager[Any]:
        if not self.tracing:
            return contextlib.nullcontext()
        return self.tracer.start_as_current_span(
            f"{handler} process",
            context=_PROPAGATOR.extract(msg.headers or {}),
            kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "nats", "messaging.destination.name": handler},
        )

    def event_store(self, pool: asyncpg.Pool, schema: str) -> EventStore:
        return TracedEventStore(pool, schema) if self.tracing else EventStore(pool, schema)

    def command_client(self, nc: NatsClient, naming: Naming) -> CommandClient:
        if not self.tracing:  # a span per command that nobody records or receives
            return CommandClient(nc, naming)
        return TracingCommandClient(nc, naming, self.tracer)

    def relay(self, store: EventStore, js: JetStreamContext, naming: Naming) -> TracingRelay:
        return TracingRelay(store, js, naming, self.service, self.published, tracing=self.tracing)

    def http(self, app: ASGIApplication) -> ASGIApplication:
        return traced_http(app, self.tracer, self.http_latency)

    def watch(
        self,
        store: EventStore,
        js: JetStreamContext,
        streams_and_durables: Sequence[tuple[str, str]],
    ) -> None:
        """What the scrape-time gauges read: this service's tables and its JetStream consumers."""
        self._source = _Source(self.service, store, js, tuple(streams_and_durables))
        _LIVE[self.service] = self

    async def exposition(self) -> bytes:
        if self._source is not None:
            try:
                await asyncio.wait_for(self._gauges.refresh(self._source), 3.0)
            except Exception as error:  # a scrape while PostgreSQL or NATS is down still answers
                self._gauges.scrape_errors.inc()
                log.warning("metrics refresh failed", error=repr(error))
        return generate_latest(self.registry)

    def close(self) -> None:
        if _LIVE.get(self.service) is self:
            del _LIVE[self.service]
        self.provider.shutdown()  # flushes spans not yet exported


_LIVE: dict[str, Telemetry] = {}


async def service_metrics(service: str) -> str:
    """The exposition of the running process of `service` here, for an app serving `/metrics`."""
    telemetry = _LIVE.get(service)
    return (await telemetry.exposition()).decode() if telemetry else ""


class _Source:
    def __init__(
        self,
        service: str,
        store: EventStore,
        js: JetStreamContext,
        durables: tuple[tuple[str, str], ...],
    ) -> None:
        self.service = service
        self.store = store
        self.js = js
        self.durables = durables


class _Gauges:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry
        self._evidence_log: tuple[Gauge, Gauge, Gauge] | None = None

        def gauge(name: str, text: str, labels: Sequence[str]) -> Gauge:
            return Gauge(name, text, labels, registry=registry)

        self.relay_lag = gauge(
            "jietiao_relay_lag_events", "Events appended but not yet relayed", ["service"]
        )
        self.relay_lag_seconds = gauge(
            "jietiao_relay_lag_seconds", "Age of the oldest event not yet relayed", ["service"]
        )
        self.dead_letters = gauge(
            "jietiao_dead_letters", "Messages a consumer gave up on", ["service", "consumer"]
        )
        self.pending = gauge(
            "jietiao_consumer_pending_messages",
            "Messages in the stream not yet delivered to the durable consumer",
            ["durable"],
        )
        self.ack_pending = gauge(
            "jietiao_consumer_ack_pending_messages",
            "Messages delivered to the durable consumer and not yet acknowledged",
            ["durable"],
        )
        self.scrape_errors = Counter(
            "jietiao_metrics_refresh_errors",
            "Scrapes whose gauges could not be read",
            [],
            registry=registry,
        )

    async def refresh(self, source: _Source) -> None:
        schema, service = source.store.schema, source.service
        async with source.store.pool.acquire() as conn:
            lag = await conn.fetchrow(
                f"SELECT coalesce((SELECT max(global_position) FROM {schema}.events), 0) AS last, "
                f"coalesce((SELECT position FROM {schema}.relay_checkpoints WHERE relay = $1), 0) "
                "AS relayed",
                f"{service}-relay",
            )
            assert lag is not None  # an aggregate always returns its row
            oldest = await conn.fetchval(
                f"SELECT extract(epoch FROM now() - recorded_at) FROM {schema}.events "
                "WHERE global_position = $1",
                lag["relayed"] + 1,
            )
            self.relay_lag.labels(service).set(lag["last"] - lag["relayed"])
            self.relay_lag_seconds.labels(service).set(float(oldest or 0))
            for row in await conn.fetch(
                f"SELECT consumer, count(*) AS n FROM {schema}.dead_letters GROUP BY consumer"
            ):
                self.dead_letters.labels(service, row["consumer"]).set(row["n"])
            if service == "evidence":
                await self._evidence(conn, schema)
        for stream, durable in source.durables:
            info = await source.js.consumer_info(stream, durable)
            self.pending.labels(durable).set(info.num_pending or 0)
            self.ack_pending.labels(durable).set(info.num_ack_pending or 0)

    def _evidence_gauges(self) -> tuple[Gauge, Gauge, Gauge]:
        if self._evidence_log is None:
            # Only the evidence process has these: elsewhere they would be a misleading 0.
            self._evidence_log = (
                Gauge(
                    "jietiao_evidence_tree_size",
                    "Leaves in the evidence log",
                    [],
                    registry=self._registry,
                ),
                Gauge(
                    "jietiao_evidence_checkpoint_tree_size",
                    "Tree size of the latest checkpoint",
                    [],
                    registry=self._registry,
                ),
                Gauge(
                    "jietiao_evidence_checkpoint_age_seconds",
                    "Age of the latest signed checkpoint",
                    [],
                    registry=self._registry,
                ),
            )
        return self._evidence_log

    async def _evidence(self, conn: Connection, schema: str) -> None:
        # Evidence's own tables, read only; the newest row of each by its primary key.
        size = await conn.fetchval(f"SELECT coalesce(max(leaf_index) + 1, 0) FROM {schema}.leaves")
        latest = await conn.fetchrow(
            f"SELECT tree_size, extract(epoch FROM now() - signed_at) AS age "
            f"FROM {schema}.checkpoints ORDER BY tree_size DESC LIMIT 1"
        )
        tree_size, checkpoint_size, checkpoint_age = self._evidence_gauges()
        tree_size.set(size)
        checkpoint_size.set(latest["tree_size"] if latest else 0)
        checkpoint_age.set(float(latest["age"]) if latest else 0)
