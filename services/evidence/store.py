"""The log's tables: state under the writer lock, leaves, nodes, checkpoints."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.evidence.domain.batch import BatchResult
from services.evidence.domain.checkpoint import Checkpoint, parse_checkpoint
from services.evidence.domain.compact import CompactRange
from services.evidence.domain.leaf import CHAIN_START
from services.evidence.domain.note import split_note
from services.evidence.domain.proofs import Node
from shared.store.postgres import Connection


@dataclass(frozen=True)
class StoredCheckpoint:
    checkpoint: Checkpoint
    note: str


@dataclass(frozen=True)
class StoredLeaf:
    index: int
    event_id: uuid.UUID
    source: str
    event_type: str
    stream_id: uuid.UUID
    version: int
    received_at: datetime
    salt: bytes
    entry: bytes
    leaf_hash: bytes
    chain_hash: bytes
    event: bytes


_LEAF_COLUMNS = (
    "leaf_index, event_id, source, event_type, stream_id, version, received_at, salt, entry, "
    "leaf_hash, chain_hash, event"
)


_LEAF_COLUMNS_NO_EVENT = _LEAF_COLUMNS.removesuffix(", event") + ", ''::bytea AS event"


def _leaf(row: asyncpg.Record) -> StoredLeaf:
    return StoredLeaf(*(row[c] for c in _LEAF_COLUMNS.split(", ")))


class LogStore:
    def __init__(self, schema: str) -> None:
        self.schema = schema

    async def lock(self, conn: Connection) -> None:
        # One writer at a time across replicas and source streams: the tree has one right edge.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"log:{self.schema}")

    async def nodes(self, conn: Connection, wanted: Iterable[Node]) -> dict[Node, bytes]:
        wanted = list(wanted)
        inner = [n for n in wanted if n.level > 0]
        rows = await conn.fetch(
            f"SELECT level, node_index, hash FROM {self.schema}.tree_nodes "
            "WHERE (level, node_index) IN (SELECT * FROM unnest($1::smallint[], $2::bigint[])) "
            f"UNION ALL SELECT 0, leaf_index, leaf_hash FROM {self.schema}.leaves "
            "WHERE leaf_index = ANY($3::bigint[])",
            [n.level for n in inner],
            [n.number for n in inner],
            [n.number for n in wanted if n.level == 0],
        )
        return {Node(r["level"], r["node_index"]): bytes(r["hash"]) for r in rows}

    async def node_runs(
        self, conn: Connection, leaves: Sequence[int], levels: range, start: int, end: int
    ) -> list[tuple[int, int, bytes]]:
        """Runs of consecutive node hashes as (level, first node_index, hashes packed 32 bytes a
        node), in one round trip: each of `leaves` alone, and at each of `levels` the perfect
        subtrees between leaf `start` and leaf `end` in one run (aggregated by PostgreSQL, so a
        long run costs one row, not a row per node). Each branch is an index range scan."""
        sql = [
            f"SELECT 0::smallint, leaf_index, leaf_hash FROM {self.schema}.leaves "
            "WHERE leaf_index = ANY($1::bigint[])"
        ]
        sql += [
            f"SELECT {level}::smallint, $2::bigint >> {level}, "
            f"string_agg(hash, ''::bytea ORDER BY node_index) FROM {self.schema}.tree_nodes "
            f"WHERE level = {level} AND node_index >= ($2::bigint >> {level}) "
            f"AND node_index < ($3::bigint >> {level})"
            for level in levels
        ]
        bounds = (start, end) if levels else ()  # $2 and $3 exist only with a level
        rows = await conn.fetch(" UNION ALL ".join(sql), list(leaves), *bounds)
        return [(r[0], r[1], bytes(r[2] or b"")) for r in rows]

    async def tree_state(self, conn: Connection) -> tuple[CompactRange, bytes]:
        row = await conn.fetchrow(
            f"SELECT leaf_index, chain_hash FROM {self.schema}.leaves "
            "ORDER BY leaf_index DESC LIMIT 1"
        )
        if row is None:
            return CompactRange(), CHAIN_START
        size = row["leaf_index"] + 1
        border = await self.nodes(conn, CompactRange.border_of(size))
        return CompactRange.from_nodes(size, border), bytes(row["chain_hash"])

    async def already_logged(
        self, conn: Connection, event_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        rows = await conn.fetch(
            f"SELECT event_id FROM {self.schema}.leaves WHERE event_id = ANY($1::uuid[])",
            list(event_ids),
        )
        return {r["event_id"] for r in rows}

    async def write_batch(
        self, conn: Connection, batch: BatchResult, received_at: datetime
    ) -> None:
        await conn.copy_records_to_table(
            "leaves",
            schema_name=self.schema,
            columns=[
                "leaf_index",
                "event_id",
                "source",
                "event_type",
                "stream_id",
                "version",
                "note_id",
                "received_at",
                "salt",
                "entry",
                "leaf_hash",
                "chain_hash",
                "event",
                "published_key_id",
            ],
            records=[
                (
                    leaf.index,
                    uuid.UUID(leaf.event.event_id),
                    leaf.event.source,
                    leaf.event.event_type,
                    uuid.UUID(leaf.event.stream_id),
                    leaf.event.version,
                    uuid.UUID(leaf.event.note_id) if leaf.event.note_id else None,
                    received_at,
                    leaf.salt,
                    leaf.entry,
                    leaf.leaf_hash,
                    leaf.chain_hash,
                    leaf.event.event_bytes,
                    leaf.event.published_key_id,
                )
                for leaf in batch.leaves
            ],
        )
        if batch.nodes:
            await conn.copy_records_to_table(
                "tree_nodes",
                schema_name=self.schema,
                columns=["level", "node_index", "hash"],
                records=[(n.level, n.number, h) for n, h in batch.nodes],
            )

    async def latest_checkpoint(self, conn: Connection) -> StoredCheckpoint | None:
        row = await conn.fetchrow(
            f"SELECT tree_size, root_hash, note FROM {self.schema}.checkpoints "
            "ORDER BY tree_size DESC LIMIT 1"
        )
        return _checkpoint(row) if row else None

    async def checkpoint_at(self, conn: Connection, size: int) -> StoredCheckpoint | None:
        row = await conn.fetchrow(
            f"SELECT tree_size, root_hash, note FROM {self.schema}.checkpoints "
            "WHERE tree_size = $1",
            size,
        )
        return _checkpoint(row) if row else None

    async def all_checkpoints(self, conn: Connection) -> list[StoredCheckpoint]:
        rows = await conn.fetch(
            f"SELECT tree_size, root_hash, note FROM {self.schema}.checkpoints ORDER BY tree_size"
        )
        return [_checkpoint(r) for r in rows]

    async def save_checkpoint(self, conn: Connection, checkpoint: Checkpoint, note: str) -> None:
        await conn.execute(
            f"INSERT INTO {self.schema}.checkpoints (tree_size, root_hash, note) "
            "VALUES ($1, $2, $3)",
            checkpoint.size,
            checkpoint.root,
            note,
        )

    async def leaf_by_event(self, conn: Connection, event_id: uuid.UUID) -> StoredLeaf | None:
        row = await conn.fetchrow(
            f"SELECT {_LEAF_COLUMNS} FROM {self.schema}.leaves WHERE event_id = $1", event_id
        )
        return _leaf(row) if row else None

    async def leaves_of_note(self, conn: Connection, note_id: uuid.UUID) -> list[StoredLeaf]:
        rows = await conn.fetch(
            f"SELECT {_LEAF_COLUMNS} FROM {self.schema}.leaves "
            "WHERE stream_id = $1 OR note_id = $1 ORDER BY leaf_index",
            note_id,
        )
        return [_leaf(r) for r in rows]

    async def leaves_publishing_keys(
        self, conn: Connection, key_ids: list[str]
    ) -> list[StoredLeaf]:
        rows = await conn.fetch(
            f"SELECT {_LEAF_COLUMNS} FROM {self.schema}.leaves "
            "WHERE published_key_id = ANY($1::text[]) ORDER BY leaf_index",
            key_ids,
        )
        return [_leaf(r) for r in rows]

    async def leaves_from(self, conn: Connection, start: int, limit: int) -> list[StoredLeaf]:
        rows = await conn.fetch(
            f"SELECT {_LEAF_COLUMNS} FROM {self.schema}.leaves WHERE leaf_index >= $1 "
            "ORDER BY leaf_index LIMIT $2",
            start,
            limit,
        )
        return [_leaf(r) for r in rows]

    async def leaves_page(
        self, conn: Connection, start: int, limit: int, *, with_events: bool = True
    ) -> list[StoredLeaf]:
        """`leaves_from`, for reading the whole log (the audit): each leaf from its row's
        values in column order, which is `StoredLeaf`'s field order. Without events, each
        leaf's `event` is empty: the largest column, needless to a reader with another copy."""
        columns = _LEAF_COLUMNS if with_events else _LEAF_COLUMNS_NO_EVENT
        rows = await conn.fetch(
            f"SELECT {columns} FROM {self.schema}.leaves WHERE leaf_index >= $1 "
            "ORDER BY leaf_index LIMIT $2",
            start,
            limit,
        )
        return [StoredLeaf(*r) for r in rows]


def _checkpoint(row: asyncpg.Record) -> StoredCheckpoint:
    # The note is what was signed; the columns are only its index. Read the checkpoint from it.
    text, _ = split_note(row["note"])
    return StoredCheckpoint(parse_checkpoint(text), row["note"])
