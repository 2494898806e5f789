"""Every service process serves Prometheus metrics, and one trace runs from an HTTP request at
the gateway through the command it sends and the events that follow, into every service that
consumes them (the trace context travels in NATS headers)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

import httpx
import nats
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.config import SERVICES, Settings
from shared.observability import Telemetry
from shared.runtime import ServiceProcess, load_service
from shared.stack.embedded import free_port
from shared.subjects import Naming
from tests.gateway.conftest import iou_terms
from tests.gateway.stack import new_id_number, new_phone
from tests.shared.bus_support import eventually

Processes = dict[str, tuple[ServiceProcess, int]]


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
async def processes(settings: Settings, spans: InMemorySpanExporter) -> AsyncIterator[Processes]:
    """Every service in this process, each on its own port, all recording into `spans`."""
    running: Processes = {}
    for name in SERVICES:
        provider = TracerProvider(resource=Resource.create({"service.name": f"jietiao-{name}"}))
        provider.add_span_processor(SimpleSpanProcessor(spans))
        port = free_port()
        own = settings.model_copy(update={"health_port": port})
        process = ServiceProcess(load_service(name), own, Telemetry(name, own.namespace, provider))
        running[name] = (process, port)
    tasks = [asyncio.create_task(p.run()) for p, _ in running.values()]
    try:
        for _, port in running.values():
            await eventually(lambda port=port: _answers(port, "/healthz"), within=30)
        yield running
    finally:
        for process, _ in running.values():
            process.stopping.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)


async def _answers(port: int, path: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}{path}")).status_code == 200
    return False


async def _metrics(port: int) -> str:
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    return reply.text


async def _verified_party(gateway: httpx.AsyncClient, nc: nats.NATS, naming: Naming) -> str:
    from shared.commands import CommandClient

    phone = new_phone()
    assert (await gateway.post("/api/v1/login/code", json={"phone": phone})).status_code == 200
    inbox = await CommandClient(nc, naming).call("identity", "dev_inbox", {"phone": phone})
    login = await gateway.post(
        "/api/v1/login/verify", json={"phone": phone, "code": inbox["messages"][0]["code"]}
    )
    token = str(login.json()["session_token"])
    gateway.headers["Authorization"] = f"Bearer {token}"
    identity = {"legal_name": "张三", "id_number": new_id_number()}
    assert (await gateway.post("/api/v1/identity", json=identity)).status_code == 200
    return token


async def test_one_trace_from_the_gateway_through_every_consumer(
    settings: Settings, processes: Processes, spans: InMemorySpanExporter, nc: nats.NATS
) -> None:
    naming = Naming(settings.namespace)
    port = processes["gateway"][1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as gateway:
        await _verified_party(gateway, nc, naming)
        trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
        reply = await gateway.post(
            "/api/v1/notes",
            headers={"traceparent": f"00-{trace_id}-{parent}-01"},
            json={
                "accepted_disclaimer_version": "2026-01",
                "counterparty": {"display_name": "李四", "phone": "13912345678"},
                "terms": iou_terms(),
            },
        )
    assert reply.status_code == 201, reply.text
    note_id = reply.json()["note_id"]

    def in_trace() -> list[ReadableSpan]:
        return [
            s
            for s in spans.get_finished_spans()
            if s.context is not None and f"{s.context.trace_id:032x}" == trace_id
        ]

    def where(span: ReadableSpan) -> tuple[str, str]:
        return str(span.resource.attributes["service.name"]), span.name

    async def consumed_everywhere() -> bool:
        names = {where(s) for s in in_trace()}
        return {
            ("jietiao-signing", "signing_drafting-notes-from-drafting process"),
            ("jietiao-gateway", "gateway-notes-from-drafting process"),
        } <= names

    await eventually(consumed_everywhere, within=20)
    names = {where(s) for s in in_trace()}
    assert ("jietiao-gateway", "HTTP POST") in names
    assert ("jietiao-gateway", "cmd.drafting.draft_note send") in names
    assert ("jietiao-drafting", "cmd.drafting.draft_note process") in names
    # Drafting asked identity about the parties, inside the same trace.
    assert any(service == "jietiao-identity" for service, _ in names)
    http = next(s for s in in_trace() if s.name == "HTTP POST")
    assert http.parent is not None
    assert f"{http.parent.span_id:016x}" == parent

    # Evidence anchors from its own pull subscription: the context reaches it on the message.
    js = nc.jetstream()
    stream = naming.stream_name("drafting")
    drafted = await js.get_last_msg(
        stream, naming.event_subject("drafting", "note", note_id, "NoteDrafted")
    )
    assert drafted.headers is not None
    assert drafted.headers["traceparent"].split("-")[1] == trace_id


async def test_every_service_serves_its_metrics(
    settings: Settings, processes: Processes, nc: nats.NATS
) -> None:
    naming = Naming(settings.namespace)
    port = processes["gateway"][1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as gateway:
        await _verified_party(gateway, nc, naming)

    async def anchored() -> bool:
        return "jietiao_evidence_tree_size 0.0" not in await _metrics(processes["evidence"][1])

    await eventually(anchored, within=20)
    for name, (_, port) in processes.items():
        text = await _metrics(port)
        assert f'jietiao_relay_lag_events{{service="{name}"}}' in text, name
        assert "process_resident_memory_bytes" in text, name
    identity = await _metrics(processes["identity"][1])
    assert (
        'jietiao_received_processed_messages_total{app_name="identity",broker="nats",'
        'handler="cmd.identity.verify_login_code",status="acked"} 1.0'
    ) in identity
    assert "jietiao_received_processed_messages_duration_seconds_bucket" in identity
    assert "jietiao_relay_published_events_total" in identity
    evidence = await _metrics(processes["evidence"][1])
    assert "jietiao_evidence_checkpoint_age_seconds" in evidence
    assert "jietiao_evidence_checkpoint_tree_size" in evidence
    gateway_text = await _metrics(processes["gateway"][1])
    # The gateway's own counters and the runtime's, on one page.
    assert "jietiao_gateway_responses_total" in gateway_text
    assert "jietiao_http_request_duration_seconds_bucket" in gateway_text
    assert "jietiao_consumer_ack_pending_messages{durable=" in gateway_text

    async def anchor_consumed() -> bool:
        # A consumed event is counted as a command is, under its durable, with how it settled.
        return (
            'jietiao_received_processed_messages_total{app_name="gateway",broker="nats",'
            'handler="gateway-anchors-from-evidence",status="acked"}'
        ) in await _metrics(processes["gateway"][1])

    await eventually(anchor_consumed, within=20)
    assert "jietiao_evidence_tree_size" not in gateway_text
