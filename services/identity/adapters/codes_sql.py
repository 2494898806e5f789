"""One-time codes, sessions, presence checks, redemptions and the development inbox in SQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.identity.adapters.postgres import CodeRow, PartyRow, Queryable
from shared.events import Envelope
from shared.store import EventStore, Transaction, append_arguments, append_errors


async def lock_phone_send_times(
    tx: Transaction, phone_index: str, since: datetime
) -> list[tuple[str, datetime]]:
    """Take the phone's lock until commit (two replicas sending to one phone at once must not
    both pass the rate limit), then the codes sent to it since `since`, as seen under the lock."""
    rows = await tx.conn.fetch(
        f"SELECT purpose, sent_at FROM {tx.schema}.lock_phone_send_times($1, $2)",
        phone_index,
        since,
    )
    return [(r["purpose"], r["sent_at"]) for r in rows]


@dataclass(frozen=True)
class NewCode:
    phone_index: str
    purpose: str
    code_hash: str
    sent_at: datetime
    expires_at: datetime
    dev_copy: str | None  # the code itself, for the development inbox only


async def insert_code(tx: Transaction, code: NewCode) -> None:
    """Replace the phone's pending code of that purpose (and copy it to the development inbox)."""
    await tx.conn.execute(
        f"WITH retired AS (UPDATE {tx.schema}.one_time_codes SET active = false "
        "WHERE phone_index = $1 AND purpose = $2 AND active), "
        f"copied AS (INSERT INTO {tx.schema}.dev_inbox (phone_index, purpose, code, sent_at) "
        "SELECT $1, $2, $6, $4 WHERE $6::text IS NOT NULL) "
        f"INSERT INTO {tx.schema}.one_time_codes "
        "(phone_index, purpose, code_hash, sent_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        code.phone_index,
        code.purpose,
        code.code_hash,
        code.sent_at,
        code.expires_at,
        code.dev_copy,
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


@dataclass(frozen=True)
class LoginWrite:
    code_id: int
    party: PartyRow  # registered only if the phone has no party yet
    phone_index: str
    session_id: uuid.UUID
    at: datetime
    until: datetime


async def log_in(
    tx: Transaction, login: LoginWrite, registration: Sequence[Envelope]
) -> tuple[uuid.UUID, bool]:
    """Use the right code up and open a session for the phone's party, registering it first if
    it is new (appending `registration`, the new party's events): the party's id, and whether it
    is new."""
    with append_errors(registration):
        row = await tx.conn.fetchrow(
            f"SELECT party_id, new_party FROM {tx.schema}.log_in_and_register("
            "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            login.code_id,
            login.phone_index,
            login.party.kid,
            login.party.phone_sealed,
            login.session_id,
            login.at,
            login.until,
            *append_arguments(registration),
        )
    assert row is not None  # the function returns one row
    if row["new_party"]:
        await tx.appended(registration)
    return row["party_id"], row["new_party"]


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


async def redeem_ticket(
    store: EventStore,
    ticket_id: uuid.UUID,
    note_id: uuid.UUID,
    at: datetime,
    redemption: Sequence[Envelope],
) -> bool:
    """Lock the party, record the ticket's redemption and append `redemption` to the party's
    stream after the version read under the lock (whatever version the envelopes carry), in one
    statement: False if the ticket was already redeemed, and then nothing is written."""
    stream_id, _, *append = append_arguments(redemption)
    with append_errors(redemption):
        async with store.writing(redemption) as conn:
            position = await conn.fetchval(
                f"SELECT {store.schema}.redeem_ticket_and_append("
                "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                ticket_id,
                note_id,
                at,
                stream_id,
                *append,
            )
    return position is not None


async def dev_messages(
    conn: Queryable, schema: str, phone_index: str
) -> list[tuple[str, str, datetime]]:
    rows = await conn.fetch(
        f"SELECT purpose, code, sent_at FROM {schema}.dev_inbox WHERE phone_index = $1 "
        "ORDER BY id DESC LIMIT 10",
        phone_index,
    )
    return [(r["purpose"], r["code"], r["sent_at"]) for r in rows]
