"""Proofs served from the pinned upper levels and the LRU are the proofs the stored tree gives,
at every size the log signed, while the log grows and under concurrent requests."""

from __future__ import annotations

import asyncio
import itertools
import uuid

import asyncpg
import pytest

from services.evidence.domain.batch import Incoming
from services.evidence.domain.merkle import verify_consistency, verify_inclusion
from services.evidence.queries import EvidenceQueries
from services.evidence.writer import LogWriter
from shared.config import Settings
from shared.store import EventStore
from tests.evidence.support import ORIGIN, evidence_store, incoming, note_events, signer


def _incoming(count: int) -> list[Incoming]:
    return incoming(note_events(uuid.uuid4(), count))


def _reference(store: EventStore) -> EvidenceQueries:
    """Nothing cached or pinned: every subtree hash read from the table the writer fills."""
    return EvidenceQueries(store, [], cached_checkpoints=0, cached_nodes=0, pinned_bytes=0)


async def _leaf_hashes(pool: asyncpg.Pool, store: EventStore) -> list[bytes]:
    rows = await pool.fetch(f"SELECT leaf_hash FROM {store.schema}.leaves ORDER BY leaf_index")
    return [bytes(r["leaf_hash"]) for r in rows]


async def _same_proofs(
    served: EvidenceQueries, reference: EvidenceQueries, sizes: list[int], leaves: list[bytes]
) -> None:
    for size in sizes:
        for index in range(size):
            proof, checkpoint = await served.inclusion_proof(index, size)
            assert (proof, checkpoint) == await reference.inclusion_proof(index, size)
            root = checkpoint.checkpoint.root
            assert verify_inclusion(index, size, leaves[index], proof, root)
    for first, second in itertools.combinations(sizes, 2):
        proof, old, new = await served.consistency_proof(first, second)
        assert (proof, old, new) == await reference.consistency_proof(first, second)
        roots = old.checkpoint.root, new.checkpoint.root
        assert verify_consistency(first, second, *roots, proof)


@pytest.mark.parametrize("lowest", [1, 2, 4])
async def test_pinned_proofs_equal_the_stored_trees_as_the_log_grows(
    pool: asyncpg.Pool, settings: Settings, lowest: int
) -> None:
    store = evidence_store(pool, settings)
    writer = LogWriter(store, ORIGIN, [signer()])
    served = EvidenceQueries(store, [], cached_nodes=8, pinned_from_level=lowest)
    reference = _reference(store)
    sizes: list[int] = []
    for count in (5, 60, 37, 1, 30):
        sizes.append((await writer.commit(_incoming(count))).size)
        # Older sizes after each growth too: what was pinned for them must still serve them.
        await _same_proofs(served, reference, sizes, await _leaf_hashes(pool, store))
    assert served.pinned.size == sizes[-1] == 133
    assert served.pinned.nbytes == 32 * sum(133 >> level for level in range(lowest, 8))
    assert len(served.nodes) == 8  # the LRU of lower subtrees stays bounded


async def test_a_small_budget_lets_the_lowest_levels_go(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    store = evidence_store(pool, settings)
    writer = LogWriter(store, ORIGIN, [signer()])
    served = EvidenceQueries(store, [], pinned_from_level=1, pinned_bytes=32 * 20)
    sizes = [(await writer.commit(_incoming(n))).size for n in (10, 90)]
    await _same_proofs(served, _reference(store), sizes, await _leaf_hashes(pool, store))
    # 100 leaves: 22 nodes from level 3 (12 + 6 + 3 + 1) are over 20, from level 4 only 10.
    assert served.pinned.lowest == 4
    assert served.pinned.nbytes == 32 * 10


async def test_concurrent_proofs_while_the_pinned_levels_grow(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    store = evidence_store(pool, settings)
    writer = LogWriter(store, ORIGIN, [signer()])
    served = EvidenceQueries(store, [], pinned_from_level=2)
    reference = _reference(store)
    for count in (40, 70):
        size = (await writer.commit(_incoming(count))).size
        proofs = await asyncio.gather(*(served.inclusion_proof(i, size) for i in range(size)))
        assert proofs == [await reference.inclusion_proof(i, size) for i in range(size)]
    assert served.pinned.size == 110


class _NoPool:
    def acquire(self) -> None:
        raise AssertionError("a cached proof took a connection")


async def test_a_repeated_proof_needs_no_database(pool: asyncpg.Pool, settings: Settings) -> None:
    store = evidence_store(pool, settings)
    await LogWriter(store, ORIGIN, [signer()]).commit(_incoming(50))
    served = EvidenceQueries(store, [])
    first = await served.inclusion_proof(17, 50), await served.consistency_proof(50, 50)
    served.pool = _NoPool()  # type: ignore[assignment]
    assert (await served.inclusion_proof(17, 50), await served.consistency_proof(50, 50)) == first
