"""`jietiao audit` on a real system: passes untouched, names each kind of tampering."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from services.evidence.audit import AuditOptions, load, run_audit, stream
from services.evidence.domain.checkpoint import Checkpoint
from services.evidence.domain.leaf import decode_entry
from services.evidence.domain.note import Signer, sign_note
from services.evidence.settings import EvidenceSettings
from shared.config import Settings
from shared.events import Envelope, canonical_bytes
from shared.store import EventStore
from shared.subjects import Naming
from tests.evidence.support import ORIGIN, anchor_everything, append_streams, relay

pytestmark = pytest.mark.timeout(120)


async def audit(
    settings: Settings, tmp_path: Path, *options: str
) -> tuple[int, dict[str, Any], str]:
    report = tmp_path / "audit.json"
    env = {
        **os.environ,
        "NATS_URL": settings.nats_url,
        "DATABASE_URL": settings.database_url,
        "JIETIAO_NAMESPACE": settings.namespace,
        "JIETIAO_ENV": "test",
        "JIETIAO_EVIDENCE_ORIGIN": ORIGIN,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.cli",
        "audit",
        "--report",
        str(report),
        *options,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    assert report.exists(), out.decode()
    return proc.returncode, json.loads(report.read_text()), out.decode()


@pytest.fixture
async def system(store: EventStore, pool: asyncpg.Pool, nc: nats.NATS, settings: Settings) -> list:
    events = await append_streams(store, streams=3, per_stream=5)
    await anchor_everything(pool, nc, settings)
    return events


async def as_attacker(pool: asyncpg.Pool, table: str, trigger: str, *statements: tuple) -> None:
    # An attacker with database rights switches the append-only guard off first.
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        for sql, *args in statements:
            await conn.execute(sql, *args)


def events_table(settings: Settings) -> str:
    return f"{settings.schema_for('drafting')}.events"


def log_table(settings: Settings, table: str) -> str:
    return f"{settings.schema_for('evidence')}.{table}"


async def assert_named(settings: Settings, tmp_path: Path, kind: str, *consequences: str) -> None:
    """Exit status 1, the kind named in the report and on screen, and nothing unrelated."""
    code, report, out = await audit(settings, tmp_path)
    assert code == 1, out
    assert kind in report["counts"], report["counts"]
    assert set(report["counts"]) <= {kind, *consequences}, report["counts"]
    assert kind in out


async def test_an_untouched_system_passes(system: list, settings: Settings, tmp_path: Path) -> None:
    code, report, out = await audit(settings, tmp_path)
    assert code == 0, out
    assert report["ok"]
    assert report["findings"] == []
    assert report["services"]["drafting"]["anchored"] == 15
    # The log anchors its own announcements too: per batch, an EvidenceAnchored and a checkpoint.
    own = report["services"]["evidence"]
    assert own["anchored"] == own["events"] >= 2
    assert "Replay audit" in out


async def test_a_changed_event_is_named(
    system: list, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    table = events_table(settings)
    await as_attacker(
        pool,
        table,
        "events_append_only",
        (
            f"UPDATE {table} SET payload = jsonb_set(payload, '{{amount}}', '\"999.00\"') "
            "WHERE event_id = $1",
            system[7].event_id,
        ),
    )
    await assert_named(settings, tmp_path, "event_changed")


async def test_a_changed_event_is_named_by_the_logs_commitment_alone(
    system: list, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    table = events_table(settings)
    await as_attacker(
        pool,
        table,
        "events_append_only",
        (
            f"UPDATE {table} SET payload = jsonb_set(payload, '{{amount}}', '\"1.00\"') "
            "WHERE event_id = $1",
            system[3].event_id,
        ),
    )
    code, report, out = await audit(settings, tmp_path, "--no-jetstream")
    assert code == 1, out
    assert report["counts"] == {"event_changed": 1}
    assert report["findings"][0]["subject"] == f"drafting event {system[3].event_id}"


async def test_a_deleted_event_is_named(
    system: list, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    table = events_table(settings)
    await as_attacker(
        pool,
        table,
        "events_append_only",
        (f"DELETE FROM {table} WHERE event_id = $1", system[6].event_id),
    )
    await assert_named(settings, tmp_path, "event_deleted")


async def test_an_inserted_event_is_named(
    system: list, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    table = events_table(settings)
    forged = system[0]
    await as_attacker(
        pool,
        table,
        "events_append_only",
        (f"UPDATE {table} SET global_position = -global_position - 1 WHERE global_position > 4",),
        (f"UPDATE {table} SET global_position = -global_position WHERE global_position < 0",),
        (
            f"INSERT INTO {table} (global_position, stream_id, version, stream_type, event_id, "
            "event_type, schema_version, occurred_at, correlation_id, actor, payload) "
            "VALUES (5, $1, 1, 'sample', $2, 'SampleOpened', 1, now(), $3, 'test', $4)",
            uuid.uuid4(),
            uuid.uuid4(),
            forged.correlation_id,
            {"owner": "mallory"},
        ),
    )
    await assert_named(settings, tmp_path, "event_inserted")


async def test_a_forged_copy_on_the_stream_is_named(
    store: EventStore, pool: asyncpg.Pool, nc: nats.NATS, settings: Settings, tmp_path: Path
) -> None:
    # Someone with publish rights on the stream gets a changed copy of an event there before the
    # relay publishes it: the log anchors what the stream carried first, the store keeps its own.
    events = await append_streams(store, streams=1, per_stream=3)
    target = events[1].document()
    forged = canonical_bytes({**target, "payload": {"amount": 999}})
    subject = Naming(settings.namespace).event_subject(
        "drafting", target["stream_type"], target["stream_id"], target["event_type"]
    )
    await nc.jetstream().publish(subject, forged)
    await anchor_everything(pool, nc, settings)
    # Published before the events stored ahead of it, so it also shows as published out of order.
    await assert_named(settings, tmp_path, "event_changed", "event_reordered")


@contextlib.asynccontextmanager
async def stream_client(settings: Settings) -> AsyncIterator[stream.StreamClient]:
    client = stream.StreamClient()
    await client.connect(settings.nats_servers)
    try:
        yield client
    finally:
        await client.close()


def recorded_statuses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every status line the raw read sees, as it parses them."""
    seen: list[tuple[bytes, bytes]] = []
    real = stream.status_line
    monkeypatch.setattr(stream, "status_line", lambda h: seen.append(real(h)) or seen[-1])
    return seen


async def relayed_drafting(store: EventStore, nc: nats.NATS, settings: Settings) -> list[bytes]:
    """20 drafting events on their stream, as nats-py fetches them."""
    await append_streams(store, streams=4, per_stream=5)
    await relay(store, nc, settings, "drafting")
    naming = Naming(settings.namespace)
    sub = await nc.jetstream().pull_subscribe(
        naming.service_events("drafting"), stream=naming.stream_name("drafting")
    )
    return [m.data for m in await sub.fetch(20, timeout=5)]


async def test_the_raw_stream_read_gives_what_nats_py_fetches(
    store: EventStore, nc: nats.NATS, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More than one batch, the last one short: the read still ends at the stream's last message
    # without a request left to expire (which the server would end with a status).
    monkeypatch.setattr(stream, "BATCH", 7)
    seen = recorded_statuses(monkeypatch)
    expected = await relayed_drafting(store, nc, settings)
    naming = Naming(settings.namespace)
    async with stream_client(settings) as client:
        assert await stream.read_stream(client, naming, "drafting") == expected
        assert await stream.read_stream(client, naming, "signing") == []  # an empty stream
    # Servers from 2.10 on follow each full pull with a "Batch Completed"; nothing else came.
    assert [status for status in seen if status[1] != b"Batch Completed"] == []


async def test_the_raw_stream_read_takes_more_bytes_than_a_pull_in_several(
    store: EventStore, nc: nats.NATS, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pull brings at most PULL_BYTES (else the server cuts a busy reader off as a slow
    # consumer): it ends early with a 409, and the next pull goes on from there.
    monkeypatch.setattr(stream, "PULL_BYTES", 2_500)  # three or four of these events
    seen = recorded_statuses(monkeypatch)
    expected = await relayed_drafting(store, nc, settings)
    naming = Naming(settings.namespace)
    async with stream_client(settings) as client:
        assert await stream.read_stream(client, naming, "drafting") == expected
        assert (b"409", b"Message Size Exceeds MaxBytes") in seen
        monkeypatch.setattr(stream, "PULL_BYTES", 100)  # smaller than any one event
        with pytest.raises(stream.StreamReadError, match="409"):
            await stream.read_stream(client, naming, "drafting")


@pytest.mark.parametrize("before", ["no responder", "silence"])
async def test_the_raw_stream_read_waits_for_its_consumer_to_answer(
    store: EventStore,
    nc: nats.NATS,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    before: str,
) -> None:
    # In a cluster a new consumer (or one whose leader moved) answers a little after it exists;
    # until then a pull finds no responder (503), or, sent while the consumer was being created,
    # nothing at all (seen in CI). Here it comes into being while the read waits.
    await append_streams(store, streams=2, per_stream=3)
    await relay(store, nc, settings, "drafting")
    naming = Naming(settings.namespace)
    name = naming.stream_name("drafting")
    config = ConsumerConfig(
        name="late", ack_policy=AckPolicy.NONE, filter_subject=naming.service_events("drafting")
    )
    waits: list[float] = []
    real_sleep = asyncio.sleep

    subject = f"$JS.API.CONSUMER.MSG.NEXT.{name}.late"
    deaf = await nc.subscribe(subject) if before == "silence" else None

    async def create_while_waiting(seconds: float) -> None:  # every sleep of asyncio's
        if seconds == stream.RETRY_SECONDS:
            if not waits:
                if deaf is not None:
                    await deaf.unsubscribe()
                await nc.jetstream().add_consumer(name, config=config)
            waits.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(stream.asyncio, "sleep", create_while_waiting)
    pull = stream._Pull(bodies=[])
    async with stream_client(settings) as client, client.raw_inbox(pull) as inbox:
        await stream._pull_until(client, subject, inbox, pull, 6)
    assert len(waits) == 1
    assert len(pull.bodies) == 6


async def test_reordered_events_are_named(
    system: list, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    table = events_table(settings)
    swap = f"UPDATE {table} SET global_position = $2 WHERE event_id = $1"
    await as_attacker(
        pool,
        table,
        "events_append_only",
        (swap, system[2].event_id, -1),
        (swap, system[12].event_id, 3),
        (swap, system[2].event_id, 13),
    )
    await assert_named(settings, tmp_path, "event_reordered")


async def test_a_changed_leaf_is_named(
    system: list, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    table = log_table(settings, "leaves")
    entry = decode_entry(await pool.fetchval(f"SELECT entry FROM {table} WHERE leaf_index = 3"))
    changed = type(entry)(**{**entry.__dict__, "commitment": bytes(32)})
    await as_attacker(
        pool,
        table,
        "leaves_append_only",
        (
            f"UPDATE {table} SET entry = $1, leaf_hash = $2 WHERE leaf_index = 3",
            changed.encode(),
            changed.leaf_hash(),
        ),
    )
    # The log's own announcement of that leaf no longer matches it either.
    await assert_named(settings, tmp_path, "leaf_changed", "state_mismatch")


async def test_a_removed_leaf_is_named(
    system: list, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    table = log_table(settings, "leaves")
    await as_attacker(
        pool, table, "leaves_append_only", (f"DELETE FROM {table} WHERE leaf_index = 5",)
    )
    await assert_named(settings, tmp_path, "leaf_removed", "state_mismatch")


async def test_a_forged_checkpoint_is_named(
    system: list, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    table = log_table(settings, "checkpoints")
    size = await pool.fetchval(f"SELECT max(tree_size) FROM {table}")
    forged = sign_note(Checkpoint(ORIGIN, size, bytes(32)).body(), [Signer(ORIGIN, bytes(32))])
    await as_attacker(
        pool,
        table,
        "checkpoints_append_only",
        (
            f"UPDATE {table} SET note = $1, root_hash = $2 WHERE tree_size = $3",
            forged,
            bytes(32),
            size,
        ),
    )
    # The forged note replaced the latest one: the leaves outgrow the latest genuine checkpoint.
    await assert_named(settings, tmp_path, "checkpoint_forged", "checkpoint_rolled_back")


async def test_a_rolled_back_checkpoint_is_named(
    system: list, pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    table = log_table(settings, "checkpoints")
    await as_attacker(
        pool,
        table,
        "checkpoints_append_only",
        (f"DELETE FROM {table} WHERE tree_size = (SELECT max(tree_size) FROM {table})",),
    )
    await assert_named(settings, tmp_path, "checkpoint_rolled_back")


async def test_events_committed_and_published_while_it_reads_are_not_findings(
    system: list,
    store: EventStore,
    nc: nats.NATS,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A live system: a note is drafted and relayed while the audit reads drafting, after the
    # log's snapshot, and (where the audit lets the two reads overlap) after drafting's store
    # was read. It is neither deleted nor inserted: at most pending.
    real_read_stream, real_read_events = load.read_stream, load.read_events
    store_read = asyncio.Event()
    arrived: list[Envelope] = []

    async def read_events(pool: asyncpg.Pool, schema: str) -> Any:
        events = await real_read_events(pool, schema)
        store_read.set()
        return events

    async def read_stream(nc_: Any, naming: Any, service: str) -> list[bytes]:
        if service == "drafting":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(store_read.wait(), 1.0)
            arrived.extend(await append_streams(store, streams=1, per_stream=3))
            await relay(store, nc, settings, "drafting")
        return await real_read_stream(nc_, naming, service)

    monkeypatch.setattr(load, "read_events", read_events)
    monkeypatch.setattr(load, "read_stream", read_stream)
    keys = EvidenceSettings(origin=ORIGIN).verifiers("test")
    report = await run_audit(settings, AuditOptions(keys=keys, services=("drafting",)))
    assert arrived
    assert report.findings == []
    assert report.services["drafting"].pending == 3
