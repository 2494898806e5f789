"""Signing's own tables beside its event store: keys, handwriting, stamps, open voids.

What is written with a decision's events is a `Write`, part of the statement that appends them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.signing.adapters.appends import Write
from services.signing.domain.keys import SealedKey
from shared.events import Envelope
from shared.store.postgres import Connection, append_arguments, append_call, append_errors

_KEY_COLUMNS = "party_id, key_id, public_key, vault_kid, nonce, ciphertext"


async def load_key(conn: Connection, schema: str, party_id: uuid.UUID) -> SealedKey | None:
    row = await conn.fetchrow(
        f"SELECT {_KEY_COLUMNS} FROM {schema}.party_keys WHERE party_id = $1",
        party_id,
    )
    return None if row is None else _sealed_key(row)


def _sealed_key(row: asyncpg.Record) -> SealedKey:
    return SealedKey(
        row["party_id"],
        row["key_id"],
        bytes(row["public_key"]),
        row["vault_kid"],
        bytes(row["nonce"]),
        bytes(row["ciphertext"]),
    )


# The key inserted unless the party has one, and published (its event appended) if it was: one
# statement, so the key and its event commit together. No row when another request's key
# committed while this statement ran (its snapshot predates that key): read it again.
_STORED_KEY = f"""
WITH made AS (
    INSERT INTO {{schema}}.party_keys ({_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (party_id) DO NOTHING RETURNING {_KEY_COLUMNS}
), published AS (
    SELECT {append_call("{schema}", 7)} FROM made
)
SELECT {_KEY_COLUMNS} FROM made WHERE EXISTS (SELECT FROM published)
UNION ALL
SELECT {_KEY_COLUMNS} FROM {{schema}}.party_keys
WHERE party_id = $1 AND NOT EXISTS (SELECT FROM made)
"""


async def stored_key(
    conn: Connection, schema: str, fresh: SealedKey, published: Envelope
) -> SealedKey | None:
    """The party's key: the one it has, else `fresh`, stored with its `published` event."""
    with append_errors([published]):
        row = await conn.fetchrow(
            _STORED_KEY.format(schema=schema),
            fresh.party_id,
            fresh.key_id,
            fresh.public_key,
            fresh.vault_kid,
            fresh.nonce,
            fresh.ciphertext,
            *append_arguments([published]),
        )
    return None if row is None else _sealed_key(row)


def saves_handwriting(digest: str, sealed: tuple[str, bytes, bytes]) -> Write:
    return Write(
        "INSERT INTO {schema}.handwriting (digest, vault_kid, nonce, ciphertext) "
        "SELECT {p[0]}::text, {p[1]}::text, {p[2]}::bytea, {p[3]}::bytea FROM done "
        "ON CONFLICT (digest) DO NOTHING",
        (digest, *sealed),
    )


async def load_handwriting(
    conn: Connection, schema: str, digest: str
) -> tuple[str, bytes, bytes] | None:
    row = await conn.fetchrow(
        f"SELECT vault_kid, nonce, ciphertext FROM {schema}.handwriting WHERE digest = $1", digest
    )
    return (
        None if row is None else (row["vault_kid"], bytes(row["nonce"]), bytes(row["ciphertext"]))
    )


@dataclass(frozen=True)
class StoredStamp:
    note_id: uuid.UUID
    final_digest: str
    completed_at: datetime
    svg: bytes
    png: bytes


def saves_stamp(stamp: StoredStamp) -> Write:
    return Write(
        "INSERT INTO {schema}.stamps (note_id, final_digest, completed_at, svg, png) "
        "SELECT {p[0]}::uuid, {p[1]}::text, {p[2]}::timestamptz, {p[3]}::bytea, {p[4]}::bytea "
        "FROM done",
        (stamp.note_id, stamp.final_digest, stamp.completed_at, stamp.svg, stamp.png),
    )


async def load_stamp(conn: Connection, schema: str, note_id: uuid.UUID) -> StoredStamp | None:
    row = await conn.fetchrow(
        f"SELECT note_id, final_digest, completed_at, svg, png FROM {schema}.stamps "
        "WHERE note_id = $1",
        note_id,
    )
    if row is None:
        return None
    return StoredStamp(
        row["note_id"],
        row["final_digest"],
        row["completed_at"],
        bytes(row["svg"]),
        bytes(row["png"]),
    )


def opens_void(note_id: uuid.UUID, void_id: uuid.UUID, expires_at: datetime) -> Write:
    return Write(
        "INSERT INTO {schema}.open_voids (note_id, void_id, expires_at) "
        "SELECT {p[0]}::uuid, {p[1]}::uuid, {p[2]}::timestamptz FROM done",
        (note_id, void_id, expires_at),
    )


def closes_void(note_id: uuid.UUID) -> Write:
    return Write(
        "DELETE FROM {schema}.open_voids "
        "WHERE note_id = {p[0]}::uuid AND EXISTS (SELECT FROM done)",
        (note_id,),
    )


async def close_void(conn: Connection, schema: str, note_id: uuid.UUID) -> None:
    await conn.execute(f"DELETE FROM {schema}.open_voids WHERE note_id = $1", note_id)


async def due_voids(
    conn: Connection, schema: str, now: datetime, limit: int = 100
) -> list[uuid.UUID]:
    rows = await conn.fetch(
        f"SELECT note_id FROM {schema}.open_voids WHERE expires_at <= $1 "
        "ORDER BY expires_at LIMIT $2",
        now,
        limit,
    )
    return [r["note_id"] for r in rows]
