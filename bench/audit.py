"""Replay audit: events verified per second by `jietiao audit` (its `run_audit`, with JetStream)
over a namespace of N drafting events, relayed and anchored as the services would, against the
raw rate of RFC 8785 canonicalisation + SHA-256 of the same documents on this machine."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from datetime import date

import nats
import rfc8785

from bench.common import Figure, bench_namespace
from services.evidence.audit.runner import AuditOptions, run_audit
from services.evidence.messages import parse_message
from services.evidence.settings import EvidenceSettings
from services.evidence.writer import LogWriter
from shared.bootstrap import prepare
from shared.bus.relay import OutboxRelay
from shared.catalogue.drafting import IouTerms, NoteTermsAmended
from shared.config import Settings
from shared.events import Envelope, canonical_bytes
from shared.store import EventStore, connect_pool
from shared.subjects import Naming

STREAM_LENGTH = 100  # events per note stream
WRITERS = 8
ANCHOR_BATCH = 2000

_TERMS = IouTerms.model_validate(
    {
        "initiator_role": "lender",
        "principal": "10000.00",
        "purpose": "装修",
        "start_date": date(2026, 3, 1).isoformat(),
        "due_date": date(2026, 9, 1).isoformat(),
        "annual_rate_percent": "6",
        "repayment_method": "bullet",
        "delivery_method": "bank_transfer",
    }
)


def _stream(length: int) -> list[Envelope]:
    note_id, correlation = uuid.uuid4(), uuid.uuid4()
    return [
        Envelope.new(
            NoteTermsAmended(note_version=v, terms=_TERMS),
            stream_id=note_id,
            version=v,
            correlation_id=correlation,
            actor="bench",
        )
        for v in range(1, length + 1)
    ]


async def _fill(store: EventStore, count: int) -> None:
    async def writer(streams: int) -> None:
        for _ in range(streams):
            await store.append(_stream(STREAM_LENGTH))

    streams = count // STREAM_LENGTH
    await asyncio.gather(*(writer(streams // WRITERS) for _ in range(WRITERS)))
    if rest := streams % WRITERS:
        await writer(rest)


async def _relay_and_anchor(
    settings: Settings, stores: dict[str, EventStore], writer: LogWriter
) -> None:
    """What the relays and the anchor loop do, without waiting for polls: every event published
    to its stream with Nats-Msg-Id, then committed to the log in batches."""
    nc = await nats.connect(settings.nats_servers)
    naming = Naming(settings.namespace)
    try:
        for service in ("drafting", "evidence"):  # evidence's own events come from the first
            store = stores[service]
            await OutboxRelay(
                store, nc.jetstream(), naming, service, batch_size=1000
            ).publish_pending()
            position = 0
            while page := await store.read_all(position, ANCHOR_BATCH):
                await writer.commit(
                    [parse_message(service, canonical_bytes(r.document)) for r in page]
                )
                position = page[-1].global_position
        await OutboxRelay(stores["evidence"], nc.jetstream(), naming, "evidence").publish_pending()
    finally:
        await nc.close()


async def build(db_url: str, nats_url: str, count: int) -> tuple[Settings, int]:
    """A prepared namespace with `count` drafting events, all relayed and anchored; returns it
    and how many events its stores hold (the log's own events included)."""
    settings = Settings(
        database_url=db_url, nats_url=nats_url, namespace=bench_namespace(), env="dev"
    )
    await prepare(settings)
    pool = await connect_pool(db_url, max_size=WRITERS + 2)
    try:
        stores = {s: EventStore(pool, settings.schema_for(s)) for s in ("drafting", "evidence")}
        await _fill(stores["drafting"], count)
        evidence = EvidenceSettings()
        writer = LogWriter(stores["evidence"], evidence.origin, evidence.signers("dev"))
        await _relay_and_anchor(settings, stores, writer)
        total = 0
        for store in stores.values():
            total += await pool.fetchval(f"SELECT count(*) FROM {store.schema}.events")
    finally:
        await pool.close()
    return settings, int(total)


async def audit_rate(settings: Settings, events: int) -> float:
    options = AuditOptions(keys=EvidenceSettings().verifiers("dev"))
    started = time.perf_counter()
    report = await run_audit(settings, options)
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise AssertionError(f"the audit of a clean log found {report.counts()}")
    return events / elapsed


def raw_rate(count: int = 20_000) -> tuple[float, float]:
    """Events/s of RFC 8785 by the `rfc8785` package + SHA-256 of stored documents (the raw
    rate of the issue), and of the project's `canonical_bytes` + SHA-256 (C `json` when that is
    exact, as it is for these documents), the audit's own canonical path."""
    docs = [json.loads(json.dumps(e.document(), default=str)) for e in _stream(STREAM_LENGTH)]
    docs = (docs * (count // len(docs) + 1))[:count]
    rates = []
    for encode in (rfc8785.dumps, canonical_bytes):
        started = time.perf_counter()
        for doc in docs:
            hashlib.sha256(encode(doc)).digest()
        rates.append(count / (time.perf_counter() - started))
    return rates[0], rates[1]


async def drop(settings: Settings) -> None:
    from bench.pipeline import _drop as drop_namespace

    pool = await connect_pool(settings.database_url, max_size=1)
    try:
        await drop_namespace(pool, settings)
    finally:
        await pool.close()


async def run(db_url: str, nats_url: str, sizes: list[int], times: int) -> list[Figure]:
    figures: list[Figure] = []
    for size in sizes:
        started = time.perf_counter()
        settings, events = await build(db_url, nats_url, size)
        built = time.perf_counter() - started
        cmd = (
            f"make bench  # bench.audit: run_audit (= jietiao audit, JetStream read) over {size:,} "
            f"drafting events + the log's own = {events:,} events; setup {built:.0f} s"
        )
        audit, jcs, fast = [], [], []
        for _ in range(times):
            audit.append(await audit_rate(settings, events))
            raw, c_json = raw_rate()
            jcs.append(raw)
            fast.append(c_json)
        await drop(settings)
        figures += [
            Figure(f"audit @{size:,}: events verified", "events/s", audit, cmd),
            Figure("raw RFC 8785 + SHA-256 (same moment)", "events/s", jcs, cmd),
            Figure("raw canonical_bytes + SHA-256 (same moment)", "events/s", fast, cmd),
            Figure(
                f"audit @{size:,} ÷ raw RFC 8785 + SHA-256",
                "ratio",
                [a / r for a, r in zip(audit, jcs, strict=True)],
                cmd,
            ),
            Figure(
                f"audit @{size:,} ÷ raw canonical_bytes + SHA-256",
                "ratio",
                [a / r for a, r in zip(audit, fast, strict=True)],
                cmd,
            ),
        ]
    return figures
