"""The evidence service wired as it runs: commands over NATS, receipts and packs that verify
offline with `jietiao verify`, refusals that name the field."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import nats
import pytest
from faststream.nats import NatsBroker

from services.evidence.app import wire
from services.evidence.domain.checkpoint import parse_checkpoint
from services.evidence.domain.leaf import decode_entry
from services.evidence.domain.merkle import verify_consistency, verify_inclusion
from services.evidence.domain.note import open_note
from services.evidence.domain.tlog_proof import parse_tlog_proof
from services.evidence.verify import verify_document
from shared.commands import CommandClient, CommandRejected, serve_commands
from shared.config import Settings
from shared.runtime import ServiceContext
from shared.store import EventStore
from shared.subjects import Naming
from tests.evidence.support import ORIGIN, evidence_store, note_events, relay, signer
from tests.shared.bus_support import eventually

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def client(
    pool: asyncpg.Pool, settings: Settings, nc: nats.NATS, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[CommandClient]:
    monkeypatch.setenv("JIETIAO_EVIDENCE_ORIGIN", ORIGIN)
    naming = Naming(settings.namespace)
    broker = NatsBroker(settings.nats_url, log_level=logging.DEBUG)
    context = ServiceContext(settings, evidence_store(pool, settings), broker, naming, nc)
    wire(context)
    await broker.start()
    await serve_commands(broker)
    anchoring = [asyncio.create_task(work()) for work in context.background]
    yield CommandClient(nc, naming)
    context.stopping.set()
    await broker.stop()
    await asyncio.wait_for(asyncio.gather(*anchoring), 10)


async def verify_cli(path: Path, *keys: str) -> tuple[int, str]:
    return await cli("verify", str(path), *[f"--key={k}" for k in keys])


async def cli(*args: str, settings: Settings | None = None) -> tuple[int, str]:
    """`jietiao <args>`; with `settings`, against this test's servers and namespace (which
    need not be the environment's: embedded or containers)."""
    env = dict(os.environ)
    if settings is not None:
        env["NATS_URL"], env["DATABASE_URL"] = settings.nats_url, settings.database_url
        env["JIETIAO_NAMESPACE"] = settings.namespace
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "shared.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_receipts_packs_and_proofs_over_nats_verify_offline(
    client: CommandClient, store: EventStore, nc: nats.NATS, settings: Settings, tmp_path: Path
) -> None:
    note_id = uuid.uuid4()
    events = note_events(note_id, 4)
    await store.append(events)
    await relay(store, nc, settings, "drafting")

    async def anchored() -> bool:
        try:
            await client.call("evidence", "receipt", {"event_id": str(events[-1].event_id)})
        except CommandRejected:
            return False
        return True

    await eventually(anchored, within=20)
    vkey = signer().verifier.vkey()
    latest = await client.call("evidence", "latest_checkpoint", {})
    assert latest["log_keys"] == [vkey]
    checkpoint = parse_checkpoint(open_note(latest["note"], [signer().verifier])[0])
    assert checkpoint.size == latest["tree_size"] >= 4

    receipt = await client.call("evidence", "receipt", {"event_id": str(events[1].event_id)})
    assert verify_document(receipt["document"], [vkey]).ok
    pack = (await client.call("evidence", "evidence_pack", {"note_id": str(note_id)}))["document"]
    assert len(pack["receipts"]) == 4
    path = tmp_path / "pack.json"
    code, out = await cli("evidence-pack", str(note_id), "--out", str(path), settings=settings)
    assert code == 0, out
    assert json.loads(path.read_text())["receipts"] == pack["receipts"]
    code, out = await verify_cli(path, vkey)
    assert code == 0, out
    assert "VERIFIED" in out
    tampered = json.loads(path.read_text())
    tampered["receipts"][2]["event_json"] = tampered["receipts"][2]["event_json"].replace(
        '"amount":"3"', '"amount":"30000"'
    )
    assert tampered != pack
    path.write_text(json.dumps(tampered))
    code, out = await verify_cli(path, vkey)
    assert code == 1
    assert "NOT VERIFIED" in out

    entry = decode_entry(parse_tlog_proof(receipt["document"]["tlog_proof"]).extra or b"")
    index = parse_tlog_proof(receipt["document"]["tlog_proof"]).index
    proof = await client.call("evidence", "inclusion_proof", {"leaf_index": index})
    assert (proof["tree_size"], proof["checkpoint"]) == (checkpoint.size, latest["note"])
    path_hashes = [base64.b64decode(p) for p in proof["proof"]]
    assert verify_inclusion(index, checkpoint.size, entry.leaf_hash(), path_hashes, checkpoint.root)

    more = note_events(uuid.uuid4(), 2)
    await store.append(more)
    await relay(store, nc, settings, "drafting")

    async def grown() -> bool:
        now = await client.call("evidence", "latest_checkpoint", {})
        return bool(now["tree_size"] > checkpoint.size)

    await eventually(grown, within=20)
    grow = await client.call("evidence", "consistency_proof", {"first": checkpoint.size})
    new = parse_checkpoint(open_note(grow["second_checkpoint"], [signer().verifier])[0])
    assert grow["first_checkpoint"] == latest["note"]
    hashes = [base64.b64decode(p) for p in grow["proof"]]
    assert verify_consistency(checkpoint.size, new.size, checkpoint.root, new.root, hashes)


async def test_refusals_name_the_field(client: CommandClient) -> None:
    with pytest.raises(CommandRejected) as refused:
        await client.call("evidence", "receipt", {"event_id": str(uuid.uuid4())})
    assert (refused.value.code, refused.value.field) == ("not_anchored", "event_id")
    assert refused.value.message_zh
    with pytest.raises(CommandRejected) as refused:
        await client.call("evidence", "evidence_pack", {"note_id": "not-a-uuid"})
    assert (refused.value.code, refused.value.field) == ("invalid_request", "note_id")
    with pytest.raises(CommandRejected) as refused:
        await client.call("evidence", "inclusion_proof", {"leaf_index": 0, "tree_size": 999})
    assert refused.value.code == "unknown_checkpoint"
