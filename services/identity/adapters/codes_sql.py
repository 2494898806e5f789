"""One-time codes, sessions, presence checks, redemptions and the development inbox in SQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.identity.adapters.postgres import CodeRow, Queryable
from shared.store import Transaction


async def lock_phone(tx: Transaction, phone_index: str) -> None:
    # Two replicas sending to one phone at once must not both pass the rate limit.
    await tx.conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"code:{phone_index}")


async def send_times(
    tx: Transaction, phone_index: str, since: datetime
) -> list[tuple[str, datetime]]:
    rows = await tx.conn.fetch(
        f"SELECT purpose, sent_at FROM {tx.schema}.one_time_codes "
        "WHERE phone_index = $1 AND sent_at > $2",
        phone_index,
        since,
    )
    return [(r["purpose"], r["sent_at"]) for r in rows]


async def insert_code(
    tx: Transaction, phone_index: str, purpose: str, code_hash: str, at: datetime, ttl: timedelta
) -> None:
    await tx.conn.execute(
        f"UPDATE {tx.schema}.one_time_codes SET active = false "
        "WHERE phone_index = $1 AND purpose = $2 AND active",
        phone_index,
        purpose,
    )
    await tx.conn.execute(
        f"INSERT INTO {tx.schema}.one_time_codes "
        "(phone_index, purpose, code_hash, sent_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        phone_index,
        purpose,
        code_hash,
        at,
        at + ttl,
    )


async def latest_code(tx: Transaction, phone_index: str, purpose: str) -> CodeRow | None:
    row = await tx.conn.fetchrow(
        f"SELECT id, code_hash, expires_at, attempts, active FROM {tx.schema}.one_time_codes "
        "WHERE phone_index = $1 AND purpose = $2 ORDER BY id DESC LIMIT 1 FOR UPDATE",
        phone_index,
        purpose,
    )
    return CodeRow(row[0], row[1], row[2], row[3], row[4]) if row else None


async def count_attempt(tx: Transaction, code_id: int, *, consumed: bool) -> None:
    await tx.conn.execute(
        f"UPDATE {tx.schema}.one_time_codes SET attempts = attempts + 1, "
        "active = active AND NOT $2 WHERE id = $1",
        code_id,
        consumed,
    )


async def insert_session(
    tx: Transaction, session_id: uuid.UUID, party_id: uuid.UUID, at: datetime, until: datetime
) -> None:
    await tx.conn.execute(
        f"INSERT INTO {tx.schema}.sessions (session_id, party_id, issued_at, expires_at) "
        "VALUES ($1, $2, $3, $4)",
        session_id,
        party_id,
        at,
        until,
    )


async def session_state(conn: Queryable, schema: str, session_id: uuid.UUID) -> str:
    """`active`, `revoked` or `unknown`."""
    row = await conn.fetchrow(
        f"SELECT revoked_at FROM {schema}.sessions WHERE session_id = $1", session_id
    )
    if row is None:
        return "unknown"
    return "active" if row["revoked_at"] is None else "revoked"


async def revoke_session(conn: Queryable, schema: str, session_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(
        f"UPDATE {schema}.sessions SET revoked_at = $2 "
        "WHERE session_id = $1 AND revoked_at IS NULL",
        session_id,
        at,
    )


async def insert_presence_check(
    conn: Queryable,
    schema: str,
    party_id: uuid.UUID,
    method: str,
    provider: tuple[str, str],
    at: datetime,
    until: datetime,
) -> uuid.UUID:
    check_id = uuid.uuid4()
    await conn.execute(
        f"INSERT INTO {schema}.presence_checks (check_id, party_id, method, provider_kind, "
        "request_id, passed_at, valid_until) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        check_id,
        party_id,
        method,
        *provider,
        at,
        until,
    )
    return check_id


async def take_presence_check(
    tx: Transaction, party_id: uuid.UUID, at: datetime, ticket_id: uuid.UUID
) -> str | None:
    """Use the party's latest unused check still valid at `at`; returns its method."""
    row = await tx.conn.fetchrow(
        f"SELECT check_id, method FROM {tx.schema}.presence_checks WHERE party_id = $1 "
        "AND used_for IS NULL AND passed_at <= $2 AND valid_until > $2 "
        "ORDER BY passed_at DESC LIMIT 1 FOR UPDATE",
        party_id,
        at,
    )
    if row is None:
        return None
    await tx.conn.execute(
        f"UPDATE {tx.schema}.presence_checks SET used_for = $2 WHERE check_id = $1",
        row["check_id"],
        ticket_id,
    )
    method: str = row["method"]
    return method


async def insert_redemption(
    tx: Transaction, ticket_id: uuid.UUID, party_id: uuid.UUID, note_id: uuid.UUID, at: datetime
) -> bool:
    """True if this is the ticket's first redemption."""
    inserted = await tx.conn.fetchval(
        f"INSERT INTO {tx.schema}.redeemed_tickets (ticket_id, party_id, note_id, redeemed_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
        ticket_id,
        party_id,
        note_id,
        at,
    )
    return bool(inserted)


async def record_dev_message(
    conn: Queryable, schema: str, phone_index: str, purpose: str, code: str, at: datetime
) -> None:
    await conn.execute(
        f"INSERT INTO {schema}.dev_inbox (phone_index, purpose, code, sent_at) "
        "VALUES ($1, $2, $3, $4)",
        phone_index,
        purpose,
        code,
        at,
    )


async def dev_messages(
    conn: Queryable, schema: str, phone_index: str
) -> list[tuple[str, str, datetime]]:
    rows = await conn.fetch(
        f"SELECT purpose, code, sent_at FROM {schema}.dev_inbox WHERE phone_index = $1 "
        "ORDER BY id DESC LIMIT 10",
        phone_index,
    )
    return [(r["purpose"], r["code"], r["sent_at"]) for r in rows]
