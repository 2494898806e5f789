"""Signing's own tables beside its event store: keys, handwriting, stamps, open voids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.signing.domain.keys import SealedKey
from shared.store.postgres import Connection


async def load_key(conn: Connection, schema: str, party_id: uuid.UUID) -> SealedKey | None:
    row = await conn.fetchrow(
        f"SELECT party_id, key_id, public_key, vault_kid, nonce, ciphertext "
        f"FROM {schema}.party_keys WHERE party_id = $1",
        party_id,
    )
    if row is None:
        return None
    return SealedKey(
        row["party_id"],
        row["key_id"],
        bytes(row["public_key"]),
        row["vault_kid"],
        bytes(row["nonce"]),
        bytes(row["ciphertext"]),
    )


async def insert_key(conn: Connection, schema: str, key: SealedKey) -> bool:
    """False if the party already has a key (another request made it first)."""
    inserted = await conn.fetchval(
        f"INSERT INTO {schema}.party_keys (party_id, key_id, public_key, vault_kid, nonce, "
        "ciphertext) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (party_id) DO NOTHING "
        "RETURNING true",
        key.party_id,
        key.key_id,
        key.public_key,
        key.vault_kid,
        key.nonce,
        key.ciphertext,
    )
    return bool(inserted)


async def save_handwriting(
    conn: Connection, schema: str, digest: str, sealed: tuple[str, bytes, bytes]
) -> None:
    vault_kid, nonce, ciphertext = sealed
    await conn.execute(
        f"INSERT INTO {schema}.handwriting (digest, vault_kid, nonce, ciphertext) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING",
        digest,
        vault_kid,
        nonce,
        ciphertext,
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


async def save_stamp(conn: Connection, schema: str, stamp: StoredStamp) -> None:
    await conn.execute(
        f"INSERT INTO {schema}.stamps (note_id, final_digest, completed_at, svg, png) "
        "VALUES ($1, $2, $3, $4, $5)",
        stamp.note_id,
        stamp.final_digest,
        stamp.completed_at,
        stamp.svg,
        stamp.png,
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


async def open_void(
    conn: Connection, schema: str, note_id: uuid.UUID, void_id: uuid.UUID, expires_at: datetime
) -> None:
    await conn.execute(
        f"INSERT INTO {schema}.open_voids (note_id, void_id, expires_at) VALUES ($1, $2, $3)",
        note_id,
        void_id,
        expires_at,
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
