"""Identity's SQL, each query a function on a connection (usually a transaction's).

Every write that appends to a party's stream first locks the party's row, so appends to one
party are serialised and the stream version read under the lock is the one appended after.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from shared.events import Envelope, EventPayload
from shared.store import Transaction
from shared.store.postgres import Connection

# A pool runs a lone query on a connection of its own; a transaction's connection runs it inside.
Queryable = asyncpg.Pool | Connection


@dataclass(frozen=True)
class PartyRow:
    party_id: uuid.UUID
    kid: str
    phone_sealed: bytes


@dataclass(frozen=True)
class IdentityRow:
    party_id: uuid.UUID
    kid: str
    id_number_sealed: bytes
    legal_name_sealed: bytes


@dataclass(frozen=True)
class CodeRow:
    id: int
    code_hash: str
    expires_at: datetime
    attempts: int
    active: bool


async def lock_party(tx: Transaction, party_id: uuid.UUID) -> PartyRow | None:
    row = await tx.conn.fetchrow(
        f"SELECT party_id, kid, phone_sealed FROM {tx.schema}.parties WHERE party_id = $1 "
        "FOR UPDATE",
        party_id,
    )
    return PartyRow(row["party_id"], row["kid"], row["phone_sealed"]) if row else None


async def find_party(conn: Queryable, schema: str, party_id: uuid.UUID) -> PartyRow | None:
    row = await conn.fetchrow(
        f"SELECT party_id, kid, phone_sealed FROM {schema}.parties WHERE party_id = $1", party_id
    )
    return PartyRow(row["party_id"], row["kid"], row["phone_sealed"]) if row else None


async def insert_party(
    tx: Transaction, party: PartyRow, phone_index: str, at: datetime
) -> uuid.UUID | None:
    """The new party's id, or None when the phone already belongs to a party."""
    inserted: uuid.UUID | None = await tx.conn.fetchval(
        f"INSERT INTO {tx.schema}.parties (party_id, phone_index, kid, phone_sealed, created_at) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (phone_index) DO NOTHING RETURNING party_id",
        party.party_id,
        phone_index,
        party.kid,
        party.phone_sealed,
        at,
    )
    return inserted


async def party_by_phone(tx: Transaction, phone_index: str) -> uuid.UUID:
    party_id: uuid.UUID = await tx.conn.fetchval(
        f"SELECT party_id FROM {tx.schema}.parties WHERE phone_index = $1", phone_index
    )
    return party_id


async def phone_index_of(conn: Queryable, schema: str, party_id: uuid.UUID) -> str | None:
    index: str | None = await conn.fetchval(
        f"SELECT phone_index FROM {schema}.parties WHERE party_id = $1", party_id
    )
    return index


async def append_to_stream(
    tx: Transaction,
    stream_id: uuid.UUID,
    payloads: Sequence[EventPayload],
    correlation_id: uuid.UUID,
    at: datetime,
) -> None:
    if not payloads:
        return
    version: int = await tx.conn.fetchval(
        f"SELECT coalesce(max(version), 0) FROM {tx.schema}.events WHERE stream_id = $1",
        stream_id,
    )
    envelopes = [
        Envelope.new(
            payload,
            stream_id=stream_id,
            version=version + offset + 1,
            correlation_id=correlation_id,
            actor="identity",
            occurred_at=at,
        )
        for offset, payload in enumerate(payloads)
    ]
    await tx.append(envelopes)


async def find_identity(conn: Queryable, schema: str, party_id: uuid.UUID) -> IdentityRow | None:
    row = await conn.fetchrow(
        f"SELECT party_id, kid, id_number_sealed, legal_name_sealed FROM {schema}.identities "
        "WHERE party_id = $1",
        party_id,
    )
    if row is None:
        return None
    return IdentityRow(row[0], row[1], row[2], row[3])


async def party_with_identity(conn: Queryable, schema: str, id_index: str) -> uuid.UUID | None:
    party_id: uuid.UUID | None = await conn.fetchval(
        f"SELECT party_id FROM {schema}.identities WHERE id_index = $1", id_index
    )
    return party_id


async def insert_identity(
    tx: Transaction, row: IdentityRow, id_index: str, commitment: str, masked_id: str, at: datetime
) -> None:
    await tx.conn.execute(
        f"INSERT INTO {tx.schema}.identities (party_id, id_index, kid, id_number_sealed, "
        "legal_name_sealed, commitment, masked_id, verified_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        row.party_id,
        id_index,
        row.kid,
        row.id_number_sealed,
        row.legal_name_sealed,
        commitment,
        masked_id,
        at,
    )
