"""The evidence log: durable appends through the service's writer, proofs at 10^3, 10^5 and 10^6
leaves (from PostgreSQL as the service serves them, and from memory), offline receipt
verification; against `pymerkle` for the same operations and the raw SHA-256 rate, same run.
Like for like: ours in memory against pymerkle's `InmemoryTree`, ours from PostgreSQL against
pymerkle's durable `SqliteTree` (a database file in a temporary directory)."""

from __future__ import annotations

import contextlib
import hashlib
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pymerkle  # type: ignore[import-untyped]

from bench.common import Figure, bench_namespace
from bench.pipeline import BenchDeposited
from services.evidence.domain.batch import Incoming
from services.evidence.domain.checkpoint import Checkpoint
from services.evidence.domain.merkle import verify_inclusion
from services.evidence.domain.receipt import verify_receipt
from services.evidence.domain.signing import sign_next_checkpoint
from services.evidence.domain.tree import MemoryTree
from services.evidence.messages import parse_message
from services.evidence.queries import EvidenceQueries
from services.evidence.settings import EvidenceSettings
from services.evidence.store import LogStore
from services.evidence.writer import LogWriter
from shared.bootstrap import service_migrations
from shared.events import Envelope
from shared.store import EventStore, apply_migrations, connect_pool

SIZES = (1_000, 100_000, 1_000_000)
PROOFS = 300  # operations timed per repetition
_ENTRY = b'{"bench":"a leaf entry of about the size the service writes, ' + b"x" * 190 + b'"}'


def _per_op_us(op: Callable[[int], object], n: int = PROOFS) -> float:
    """The median time of one operation (µs): robust to a neighbour's burst on a shared host."""
    times = []
    for i in range(n):
        started = time.perf_counter()
        op(i)
        times.append(time.perf_counter() - started)
    return 1e6 * statistics.median(times)


async def _per_op_us_async(op: Callable[[int], Awaitable[object]], n: int = PROOFS) -> float:
    times = []
    for i in range(n):
        started = time.perf_counter()
        await op(i)
        times.append(time.perf_counter() - started)
    return 1e6 * statistics.median(times)


def _incoming(count: int) -> list[Incoming]:
    events = [
        Envelope.new(
            BenchDeposited(amount=Decimal("12.34")),
            stream_id=uuid.uuid4(),
            version=1,
            correlation_id=uuid.uuid4(),
            actor="bench",
        )
        for _ in range(count)
    ]
    return [parse_message("drafting", e.canonical_bytes()) for e in events]


async def _schema(pool: asyncpg.Pool) -> EventStore:
    schema = f"{bench_namespace()}_evidence"
    await apply_migrations(pool, schema, service_migrations("evidence"))
    return EventStore(pool, schema)


async def durable_appends(pool: asyncpg.Pool, leaves: int, batch: int) -> tuple[float, Any]:
    """Leaves/s through `LogWriter.commit` (one transaction per batch, as the anchor loop does),
    and a receipt of the last leaf, served by the service's query code."""
    store = await _schema(pool)
    settings = EvidenceSettings()
    writer = LogWriter(store, settings.origin, settings.signers("dev"))
    incoming = _incoming(leaves)
    await writer.commit(incoming[:batch])  # warm: the first checkpoint, the first plans
    started = time.perf_counter()
    for i in range(batch, leaves, batch):
        await writer.commit(incoming[i : i + batch])
    result = (leaves - batch) / (time.perf_counter() - started)
    queries = EvidenceQueries(store, [v.vkey() for v in settings.verifiers("dev")])
    receipt = await queries.receipt(uuid.UUID(incoming[-1].event_id))
    await pool.execute(f"DROP SCHEMA {store.schema} CASCADE")
    return result, receipt


def sha256_rate() -> float:
    """Leaf hashes per second: SHA-256(0x00 ‖ entry) of a typical entry, nothing else."""
    n = 200_000
    data = b"\x00" + _ENTRY
    started = time.perf_counter()
    for _ in range(n):
        hashlib.sha256(data).digest()
    return n / (time.perf_counter() - started)


def memory_appends(n: int) -> tuple[float, float, MemoryTree, pymerkle.InmemoryTree]:
    """Appends/s of entries to our in-memory tree and to pymerkle's, `n` each."""
    entries = [_ENTRY + str(i).encode() for i in range(n)]
    started = time.perf_counter()
    ours = MemoryTree(hashlib.sha256(b"\x00" + e).digest() for e in entries)
    ours_rate = n / (time.perf_counter() - started)
    started = time.perf_counter()
    peer = pymerkle.InmemoryTree(algorithm="sha256")
    for e in entries:
        peer.append_entry(e)
    return ours_rate, n / (time.perf_counter() - started), ours, peer


async def _copy_log(pool: asyncpg.Pool, tree: MemoryTree, signed: list[int]) -> EventStore:
    """The tree's leaves and subtrees as the writer would have stored them, with signed
    checkpoints at `signed` sizes: what the service's proof queries read."""
    store = await _schema(pool)
    settings = EvidenceSettings()
    now = datetime.now(UTC)
    zero = bytes(32)  # salt and chain: proofs do not read them
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            "leaves",
            schema_name=store.schema,
            columns=[
                "leaf_index",
                "event_id",
                "source",
                "event_type",
                "stream_id",
                "version",
                "received_at",
                "salt",
                "entry",
                "leaf_hash",
                "chain_hash",
                "event",
            ],
            records=(
                (
                    i,
                    uuid.uuid4(),
                    "bench",
                    "BenchDeposited",
                    zero_id,
                    1,
                    now,
                    zero,
                    b"{}",
                    h,
                    zero,
                    b"{}",
                )
                for i, h in enumerate(tree.levels[0])
                for zero_id in (uuid.UUID(int=i),)
            ),
        )
        await conn.copy_records_to_table(
            "tree_nodes",
            schema_name=store.schema,
            columns=["level", "node_index", "hash"],
            records=(
                (level, i, h)
                for level in range(1, len(tree.levels))
                for i, h in enumerate(tree.levels[level])
            ),
        )
        log = LogStore(store.schema)
        for size in sorted(signed):
            checkpoint = Checkpoint(settings.origin, size, tree.root_at(size))
            note = sign_next_checkpoint(None, checkpoint, [], settings.signers("dev"))
            await log.save_checkpoint(conn, checkpoint, note)
    return store


@contextlib.contextmanager
def sqlite_trees(sizes: tuple[int, ...]) -> Iterator[tuple[dict[int, Any], dict[str, float]]]:
    """pymerkle's durable trees, one SQLite file per size in a temporary directory, each built
    with its bulk `append_entries` (one transaction) from the entries the in-memory trees get;
    and the seconds each build took."""
    with tempfile.TemporaryDirectory(prefix="jt-bench-pymerkle-") as root:
        trees: dict[int, Any] = {}
        took: dict[str, float] = {}
        try:
            for size in sizes:
                trees[size] = pymerkle.SqliteTree(str(Path(root) / f"{size}.db"))
                started = time.perf_counter()
                trees[size].append_entries(_ENTRY + str(i).encode() for i in range(size))
                took[f"pymerkle SQLite build (append_entries, one transaction) @{size}"] = (
                    time.perf_counter() - started
                )
            yield trees, took
        finally:
            for tree in trees.values():
                tree.close()


def _indices(size: int, seed: int = 0) -> list[int]:
    rng = random.Random(f"{size}/{seed}")
    return [rng.randrange(size) for _ in range(PROOFS)]


def memory_proofs(ours: MemoryTree, peer: pymerkle.InmemoryTree, size: int) -> dict[str, float]:
    """µs per inclusion and consistency proof at `size`, ours and pymerkle's (1-based)."""
    at, half = _indices(size), size // 2
    return {
        "inclusion, in memory: ours": _per_op_us(lambda i: ours.inclusion_proof(at[i], size)),
        "inclusion: pymerkle": _per_op_us(lambda i: peer.prove_inclusion(at[i] + 1, size)),
        "consistency, in memory: ours": _per_op_us(lambda i: ours.consistency_proof(half, size)),
        "consistency: pymerkle": _per_op_us(lambda i: peer.prove_consistency(half, size)),
    }


async def stored_proofs(
    queries: EvidenceQueries, size: int, seed: int, label: str = ""
) -> dict[str, float]:
    """µs per proof as the service serves it: the signed checkpoint(s) and the subtree hashes,
    each from the service's caches if there, else from PostgreSQL; other leaves for each seed."""
    at, half = _indices(size, seed), size // 2
    return {
        f"inclusion, from PostgreSQL{label}: ours": await _per_op_us_async(
            lambda i: queries.inclusion_proof(at[i], size)
        ),
        f"consistency, from PostgreSQL{label}: ours": await _per_op_us_async(
            lambda i: queries.consistency_proof(half, size)
        ),
    }


def sqlite_proofs(peer: Any, size: int, seed: int) -> dict[str, float]:
    """µs per proof of pymerkle's durable tree, timed as ours from PostgreSQL: the same leaves
    (1-based there), after the same warm-up, with its subtree cache as it stands (default)."""
    at, half = _indices(size, seed), size // 2
    return {
        "inclusion, durable: pymerkle SQLite": _per_op_us(
            lambda i: peer.prove_inclusion(at[i] + 1, size)
        ),
        "consistency, durable: pymerkle SQLite": _per_op_us(
            lambda i: peer.prove_consistency(half, size)
        ),
    }


def verifications(receipt: Any, ours: MemoryTree, peer: pymerkle.InmemoryTree) -> dict[str, float]:
    """µs per offline verification: a whole receipt (JSON, entry, commitment, Merkle path,
    Ed25519 checkpoint signature), and the bare inclusion check beside pymerkle's."""
    keys = EvidenceSettings().verifiers("dev")
    size = ours.size
    at = _indices(size)
    ours_proofs = [ours.inclusion_proof(i, size) for i in at]
    peer_proofs = [peer.prove_inclusion(i + 1, size) for i in at]
    root, peer_root = ours.root(), peer.get_state(size)

    def ours_check(i: int) -> None:
        assert verify_inclusion(at[i], size, ours.levels[0][at[i]], ours_proofs[i], root)

    def peer_check(i: int) -> None:
        pymerkle.verify_inclusion(peer.get_leaf(at[i] + 1), peer_root, peer_proofs[i])

    return {
        "receipt, whole (offline verifier): ours": _per_op_us(
            lambda _: verify_receipt(receipt, keys), 200
        ),
        "inclusion check: ours": _per_op_us(ours_check),
        "inclusion check: pymerkle": _per_op_us(peer_check),
    }


async def measure(db_url: str, times: int, leaves: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {}

    def add(values: dict[str, float], suffix: str = "") -> None:
        for name, value in values.items():
            samples.setdefault(name + suffix, []).append(value)

    pool = await connect_pool(db_url, max_size=4)
    try:
        receipt = None
        for _ in range(times):
            rate, receipt = await durable_appends(pool, leaves, EvidenceSettings().batch_size)
            sha = sha256_rate()
            add(
                {
                    "durable appends": rate,
                    "SHA-256 leaf hashes": sha,
                    "durable / SHA-256": rate / sha,
                }
            )
        for _ in range(times):
            ours_rate, peer_rate, _, _ = memory_appends(SIZES[1])
            add({"in-memory appends: ours": ours_rate, "in-memory appends: pymerkle": peer_rate})
        biggest = SIZES[-1]
        _, _, ours, peer = memory_appends(biggest)
        for size in SIZES:
            for _ in range(times):
                add(memory_proofs(ours, peer, size), f" @{size}")
        store = await _copy_log(pool, ours, [s for size in SIZES for s in (size // 2, size)])
        queries = EvidenceQueries(store, [])
        uncached = EvidenceQueries(store, [], cached_checkpoints=0, cached_nodes=0, pinned_bytes=0)
        try:
            with sqlite_trees(SIZES) as (durable, took):
                add(took)
                for size in SIZES:
                    # Warm PostgreSQL's buffers and the service's caches as a live log's are,
                    # and pymerkle's file pages and subtree cache the same way: the repetitions
                    # then ask for other leaves (their lower subtrees are not cached).
                    await stored_proofs(queries, size, seed=-1)
                    sqlite_proofs(durable[size], size, seed=-1)
                    for rep in range(times):
                        add(await stored_proofs(queries, size, rep), f" @{size}")
                        add(await stored_proofs(uncached, size, rep, ", uncached"), f" @{size}")
                        add(sqlite_proofs(durable[size], size, rep), f" @{size}")
        finally:
            await pool.execute(f"DROP SCHEMA {store.schema} CASCADE")
        for _ in range(times):
            add(verifications(receipt, ours, peer), f" @{biggest}")
    finally:
        await pool.close()
    return samples


def _ratio(samples: dict[str, list[float]], slow: str, fast: str) -> list[float]:
    return [s / f for s, f in zip(samples[slow], samples[fast], strict=True)]


def _proof_ratios(samples: dict[str, list[float]], kind: str, size: int, cmd: str) -> list[Figure]:
    """pymerkle's time ÷ ours, like for like (memory vs memory, durable vs durable), and ours as
    served against pymerkle in memory, a reference only (a database round trip against none)."""
    memory, served = f"{kind}, in memory: ours @{size}", f"{kind}, from PostgreSQL: ours @{size}"
    pairs = (
        (f"{kind}, in memory @{size}: pymerkle time / ours", f"{kind}: pymerkle @{size}", memory),
        (
            f"{kind}, durable @{size}: pymerkle SQLite time / ours from PostgreSQL",
            f"{kind}, durable: pymerkle SQLite @{size}",
            served,
        ),
        (
            f"{kind}, from PostgreSQL @{size}: pymerkle in-memory time / ours (reference)",
            f"{kind}: pymerkle @{size}",
            served,
        ),
    )
    return [Figure(name, "ratio", _ratio(samples, peer, ours), cmd) for name, peer, ours in pairs]


def figures(samples: dict[str, list[float]], leaves: int) -> list[Figure]:
    cmd = f"make bench  # bench.evidence_log, {leaves} leaves per append run, {PROOFS} proofs"
    out = [
        Figure(name, "ratio" if "/" in name else "leaves/s", xs, cmd)
        for name, xs in samples.items()
        if ("append" in name or "SHA" in name) and "@" not in name
    ]
    out.append(
        Figure(
            "in-memory appends: ours / pymerkle",
            "ratio",
            _ratio(samples, "in-memory appends: ours", "in-memory appends: pymerkle"),
            cmd,
        )
    )
    for name, xs in samples.items():
        if "@" in name:
            out.append(Figure(name, "s" if "build" in name else "µs", xs, cmd))
    for size in SIZES:
        for kind in ("inclusion", "consistency"):
            out += _proof_ratios(samples, kind, size, cmd)
    big = SIZES[-1]
    out.append(
        Figure(
            f"inclusion check @{big}: pymerkle time / ours",
            "ratio",
            _ratio(samples, f"inclusion check: pymerkle @{big}", f"inclusion check: ours @{big}"),
            cmd,
        )
    )
    out.append(
        Figure(
            f"whole receipt @{big}: pymerkle bare check time / ours",
            "ratio",
            _ratio(
                samples,
                f"inclusion check: pymerkle @{big}",
                f"receipt, whole (offline verifier): ours @{big}",
            ),
            cmd,
        )
    )
    return out
