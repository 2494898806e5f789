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

from services.identity.domain.party import Party, fold
from shared.events import Envelope, EventPayload, payload_class, upcast
from shared.store import Transaction, append_arguments, append_call, append_errors
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


@dataclass(frozen=True)
class LockedParty:
    """A party whose row the transaction has locked, as its stream says after the lock."""

    party: Party
    version: int
    check_method: str | None


async def lock_party(
    tx: Transaction, party_id: uuid.UUID, take_check: tuple[uuid.UUID, datetime] | None = None
) -> LockedParty | None:
    """None if there is no such party. `take_check` (ticket id, time): also use up the party's
    latest presence check valid then for that ticket; its method is `check_method`."""
    ticket_id, at = take_check or (None, None)
    rows = await tx.conn.fetch(
        f"SELECT * FROM {tx.schema}.lock_party($1, $2, $3)", party_id, ticket_id, at
    )
    if not rows:
        return None
    party = fold(_payload(row) for row in rows[1:])
    return LockedParty(party, rows[-1]["version"], rows[0]["check_method"])


def _payload(row: asyncpg.Record) -> EventPayload:
    document = upcast(
        {
            "event_type": row["event_type"],
            "schema_version": row["schema_version"],
            "payload": row["payload"],
        }
    )
    return payload_class(document["event_type"]).model_validate(document["payload"])


async def find_party(conn: Queryable, schema: str, party_id: uuid.UUID) -> PartyRow | None:
    row = await conn.fetchrow(
        f"SELECT party_id, kid, phone_sealed FROM {schema}.parties WHERE party_id = $1", party_id
    )
    return PartyRow(row["party_id"], row["kid"], row["phone_sealed"]) if row else None


def new_events(
    stream_id: uuid.UUID,
    payloads: Sequence[EventPayload],
    correlation_id: uuid.UUID,
    at: datetime,
    *,
    after: int,
) -> list[Envelope]:
    """The envelopes of identity's events, numbered after version `after`."""
    return [
        Envelope.new(
            payload,
            stream_id=stream_id,
            version=after + offset + 1,
            correlation_id=correlation_id,
            actor="identity",
            occurred_at=at,
        )
        for offset, payload in enumerate(payloads)
    ]


async def append_to_stream(
    tx: Transaction,
    stream_id: uuid.UUID,
    payloads: Sequence[EventPayload],
    correlation_id: uuid.UUID,
    at: datetime,
    *,
    after: int,
) -> None:
    """Append after version `after`, read under the lock that serialises the stream's writers."""
    if payloads:
        await tx.append(new_events(stream_id, payloads, correlation_id, at, after=after))


async def find_identity(conn: Queryable, schema: str, party_id: uuid.UUID) -> IdentityRow | None:
    row = await conn.fetchrow(
        f"SELECT party_id, kid, id_number_sealed, legal_name_sealed FROM {schema}.identities "
        "WHERE party_id = $1",
        party_id,
    )
    if row is None:
        return None
    return IdentityRow(row[0], row[1], row[2], row[3])


async def identity_commitment(conn: Queryable, schema: str, party_id: uuid.UUID) -> str | None:
    """The party's verified identity commitment; None while it is not verified."""
    found = await conn.fetchval(
        f"SELECT commitment FROM {schema}.identities WHERE party_id = $1", party_id
    )
    return None if found is None else str(found)


@dataclass(frozen=True)
class VerificationState:
    known: bool
    verified: bool
    identity_in_use: bool


async def verification_state(
    conn: Queryable, schema: str, party_id: uuid.UUID, id_index: str
) -> VerificationState:
    """Whether the party exists, has an identity, and whether the ID number backs any party.

    The identity row stands for `IdentityVerified`: the two are written in one transaction.
    """
    row = await conn.fetchrow(
        f"SELECT EXISTS (SELECT FROM {schema}.parties WHERE party_id = $1), "
        f"EXISTS (SELECT FROM {schema}.identities WHERE party_id = $1), "
        f"EXISTS (SELECT FROM {schema}.identities WHERE id_index = $2)",
        party_id,
        id_index,
    )
    assert row is not None  # a SELECT without FROM always returns its row
    return VerificationState(row[0], row[1], row[2])


async def insert_identity(
    tx: Transaction,
    events: Sequence[Envelope],
    row: IdentityRow,
    id_index: str,
    commitment: str,
    masked_id: str,
    at: datetime,
) -> None:
    """Append `events` to the party's stream and insert its identity row, in one statement."""
    append = append_call(tx.schema)
    with append_errors(events):
        await tx.conn.execute(
            f"INSERT INTO {tx.schema}.identities (party_id, id_index, kid, id_number_sealed, "
            "legal_name_sealed, commitment, masked_id, verified_at) "
            f"SELECT $12, $13, $14, $15, $16, $17, $18, $19 FROM {append}",
            *append_arguments(events),
            row.party_id,
            id_index,
            row.kid,
            row.id_number_sealed,
            row.legal_name_sealed,
            commitment,
            masked_id,
            at,
        )
    await tx.appended(events)
