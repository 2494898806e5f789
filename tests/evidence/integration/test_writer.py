"""The group-commit write path against real PostgreSQL: leaves, tree, checkpoints, own events."""

from __future__ import annotations

import itertools
import uuid

import asyncpg

from services.evidence.audit import audit_state
from services.evidence.domain.checkpoint import parse_checkpoint
from services.evidence.domain.merkle import verify_consistency
from services.evidence.domain.note import Signer, open_note
from services.evidence.domain.receipt import verify_receipt
from services.evidence.domain.tree import MemoryTree
from services.evidence.queries import EvidenceQueries
from services.evidence.writer import LogWriter, log_stream_id
from shared.catalogue.evidence import CheckpointPublished, EvidenceAnchored
from shared.config import Settings
from shared.store import EventStore
from tests.evidence.support import ORIGIN, evidence_store, incoming, note_events, signer


async def test_batches_become_leaves_a_tree_and_consistent_checkpoints(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    store = evidence_store(pool, settings)
    writer = LogWriter(store, ORIGIN, [signer()])
    batches = [incoming(note_events(uuid.uuid4(), n)) for n in (1, 40, 77)]
    for batch in batches:
        await writer.commit(batch)
    assert (await writer.commit(batches[1] + batches[2])).appended == 0
    queries = EvidenceQueries(store, [signer().verifier.vkey()])
    schema = store.schema
    rows = await pool.fetch(f"SELECT leaf_hash FROM {schema}.leaves ORDER BY leaf_index")
    own = await pool.fetchval(f"SELECT count(*) FROM {schema}.events")
    assert len(rows) == 118
    assert own == 3 + 3  # per batch: one EvidenceAnchored, one CheckpointPublished
    tree = MemoryTree(bytes(r["leaf_hash"]) for r in rows)
    notes = await pool.fetch(f"SELECT note FROM {schema}.checkpoints ORDER BY tree_size")
    checkpoints = [parse_checkpoint(open_note(r["note"], [signer().verifier])[0]) for r in notes]
    assert [c.size for c in checkpoints] == [1, 41, 118]
    assert [c.root for c in checkpoints] == [tree.root_at(c.size) for c in checkpoints]
    for old, new in itertools.pairwise(checkpoints):
        proof, _, _ = await queries.consistency_proof(old.size, new.size)
        assert verify_consistency(old.size, new.size, old.root, new.root, proof)
    for event in batches[2][::10]:
        receipt = await queries.receipt(uuid.UUID(event.event_id))
        assert verify_receipt(receipt, [signer().verifier]).entry.event_id == event.event_id


async def test_the_log_announces_other_services_events_only(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    store: EventStore = evidence_store(pool, settings)
    writer = LogWriter(store, ORIGIN, [signer()])
    await writer.commit(incoming(note_events(uuid.uuid4(), 3)))
    own = await store.read_all()
    before = len(own)
    await writer.commit(incoming([r.envelope() for r in own], source="evidence"))
    assert len(await store.read_all()) == before  # anchored, but not announced again
    assert await pool.fetchval(f"SELECT count(*) FROM {store.schema}.leaves") == 3 + before
    assert await pool.fetchval(f"SELECT count(*) FROM {store.schema}.checkpoints") == 2


async def test_one_announcement_gives_every_event_of_the_batch_its_leaf(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    store = evidence_store(pool, settings)
    events = incoming(note_events(uuid.uuid4(), 5))
    await LogWriter(store, ORIGIN, [signer()]).commit(events)
    payloads = [r.envelope().payload for r in await store.read_all()]
    assert [type(p) for p in payloads] == [EvidenceAnchored, CheckpointPublished]
    announced = payloads[0]
    assert isinstance(announced, EvidenceAnchored)
    assert [str(a.event_id) for a in announced.anchored] == [e.event_id for e in events]
    leaves = await pool.fetch(f"SELECT event_id, leaf_index, leaf_hash FROM {store.schema}.leaves")
    assert {(a.event_id, a.leaf_index, a.leaf_hash) for a in announced.anchored} == {
        (r["event_id"], r["leaf_index"], bytes(r["leaf_hash"]).hex()) for r in leaves
    }
    assert list(await audit_state(pool, store.schema)) == []


async def test_a_big_batch_is_announced_a_hundred_events_at_a_time(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    store = evidence_store(pool, settings)
    events = incoming(note_events(uuid.uuid4(), 250))
    await LogWriter(store, ORIGIN, [signer()]).commit(events)
    payloads = [r.envelope().payload for r in await store.read_all()]
    announced = [p for p in payloads if isinstance(p, EvidenceAnchored)]
    assert [len(a.anchored) for a in announced] == [100, 100, 50]
    listed = [str(entry.event_id) for a in announced for entry in a.anchored]
    assert listed == [e.event_id for e in events]
    assert isinstance(payloads[-1], CheckpointPublished)
    assert list(await audit_state(pool, store.schema)) == []


async def test_the_state_check_reads_v1_announcements_too(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    store = evidence_store(pool, settings)
    await LogWriter(store, ORIGIN, [signer()]).commit(incoming(note_events(uuid.uuid4(), 2)))
    leaf = await pool.fetchrow(
        f"SELECT leaf_index, leaf_hash, event_id FROM {store.schema}.leaves LIMIT 1"
    )
    wrong = uuid.uuid4()
    for position, event_id in ((100, leaf["event_id"]), (101, wrong)):
        # As the log wrote them before v2: one announcement per event, its fields the payload.
        await pool.execute(
            f"INSERT INTO {store.schema}.events (global_position, stream_id, version, "
            "stream_type, event_id, event_type, schema_version, occurred_at, correlation_id, "
            "actor, payload) VALUES ($1, $2, $5, 'log', $3, 'EvidenceAnchored', 1, now(), $3, "
            "'evidence', $4)",
            position,
            log_stream_id(ORIGIN),
            uuid.uuid4(),
            {
                "event_id": str(event_id),
                "source": "drafting",
                "anchored_stream_id": str(uuid.uuid4()),
                "anchored_event_type": "SampleOpened",
                "leaf_index": leaf["leaf_index"],
                "leaf_hash": bytes(leaf["leaf_hash"]).hex(),
            },
            position,
        )
    assert list(await audit_state(pool, store.schema)) == [
        (f"leaf {leaf['leaf_index']}", f"announced for {wrong}, the log disagrees")
    ]


async def test_after_a_key_rotation_old_receipts_still_verify(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    store = evidence_store(pool, settings)
    old, new = signer(), Signer(ORIGIN, bytes([9]) * 32)
    first = incoming(note_events(uuid.uuid4(), 3))
    await LogWriter(store, ORIGIN, [old]).commit(first)
    keys = [old.verifier.vkey(), new.verifier.vkey()]
    before = await EvidenceQueries(store, keys).receipt(uuid.UUID(first[0].event_id))
    later = incoming(note_events(uuid.uuid4(), 2))
    await LogWriter(store, ORIGIN, [new]).commit(later)
    after = await EvidenceQueries(store, keys).receipt(uuid.UUID(first[0].event_id))
    assert verify_receipt(before, [new.verifier, old.verifier]).checkpoint.size == 3
    assert verify_receipt(after, [new.verifier, old.verifier]).checkpoint.size == 5
    assert verify_receipt(after, [new.verifier]).signed_by == [new.verifier.vkey()]
    assert before["log_keys"] == keys


async def test_proofs_from_the_caches_are_the_logs_and_verify(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    store = evidence_store(pool, settings)
    writer = LogWriter(store, ORIGIN, [signer()])
    for n in (5, 60, 37):
        await writer.commit(incoming(note_events(uuid.uuid4(), n)))
    cold = EvidenceQueries(store, [], cached_checkpoints=0, cached_nodes=0, pinned_bytes=0)
    warm = EvidenceQueries(store, [], cached_checkpoints=2, cached_nodes=16)
    sizes = [5, 65, 102]
    for _ in range(2):  # the second round is served from what the first cached
        for first, second in itertools.pairwise(sizes):
            proof, old, new = await warm.consistency_proof(first, second)
            assert (proof, old, new) == await cold.consistency_proof(first, second)
            assert verify_consistency(
                first, second, old.checkpoint.root, new.checkpoint.root, proof
            )
        for index in (0, 4, 64, 101):
            assert await warm.inclusion_proof(index, None) == await cold.inclusion_proof(
                index, None
            )
    assert len(warm.checkpoints) == 2  # bounded
    assert len(warm.nodes) == 16
    await writer.commit(incoming(note_events(uuid.uuid4(), 3)))  # the latest is never cached
    assert (await warm.inclusion_proof(0, None))[1].checkpoint.size == 105
