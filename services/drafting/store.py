"""Drafting's PostgreSQL side: notes as event streams, sealed contacts, invitation lookup.

Every write goes through one transaction: the events (which are also the outbox) and the rows
of drafting's own tables commit together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from services.drafting.adapters.vault import SealedContact
from services.drafting.domain.lpr import LprTable, parse_lpr_table
from services.drafting.domain.note import Note
from services.drafting.domain.projector import fold
from shared.events import Envelope, EventPayload, format_utc
from shared.store import EventStore, Transaction
from shared.store.postgres import Connection


def load_lpr_table() -> LprTable:
    """The one-year LPR history shipped with the service."""
    text = resources.files("services.drafting.data").joinpath("lpr_1y.csv").read_text("utf-8")
    return parse_lpr_table(text)


def envelopes(
    note_id: uuid.UUID,
    after_version: int,
    payloads: Sequence[EventPayload],
    correlation_id: uuid.UUID,
    actor: str,
    causation_id: uuid.UUID | None = None,
) -> list[Envelope]:
    return [
        Envelope.new(
            payload,
            stream_id=note_id,
            version=after_version + offset,
            correlation_id=correlation_id,
            causation_id=causation_id,
            actor=actor,
        )
        for offset, payload in enumerate(payloads, start=1)
    ]


@dataclass(frozen=True)
class ContactRow:
    note_id: uuid.UUID
    commitment: str
    sealed: SealedContact


async def read_note(conn: Connection, schema: str, note_id: uuid.UUID) -> Note | None:
    rows = await conn.fetch(
        "SELECT event_id, event_type, schema_version, stream_type, stream_id, version, "
        "occurred_at, correlation_id, causation_id, actor, payload "
        f"FROM {schema}.events WHERE stream_id = $1 ORDER BY version",
        note_id,
    )
    return fold(
        Envelope.from_document(
            {
                **{key: r[key] for key in ("event_type", "schema_version", "stream_type")},
                **{key: r[key] for key in ("version", "actor", "payload")},
                "event_id": str(r["event_id"]),
                "stream_id": str(r["stream_id"]),
                "occurred_at": format_utc(r["occurred_at"]),
                "correlation_id": str(r["correlation_id"]),
                "causation_id": str(r["causation_id"]) if r["causation_id"] else None,
            }
        )
        for r in rows
    )


class NoteStore:
    def __init__(self, events: EventStore) -> None:
        self.events = events

    async def load(self, note_id: uuid.UUID) -> Note | None:
        async with self.events.pool.acquire() as conn:
            return await read_note(conn, self.events.schema, note_id)

    async def save(
        self,
        events: Sequence[Envelope],
        *,
        contact: ContactRow | None = None,
        invitation: str | None = None,
    ) -> None:
        """Append `events` (optimistically) with their contact and invitation rows, atomically."""
        async with self.events.transaction() as tx:
            await tx.append(events)
            if contact is not None:
                await self._insert_contact(tx, contact)
            if invitation is not None:
                await tx.conn.execute(
                    f"INSERT INTO {tx.schema}.invitations (token_hash, note_id) VALUES ($1, $2)",
                    invitation,
                    events[0].stream_id,
                )

    @staticmethod
    async def _insert_contact(tx: Transaction, row: ContactRow) -> None:
        await tx.conn.execute(
            f"INSERT INTO {tx.schema}.contacts (note_id, commitment, key_id, nonce, ciphertext) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            row.note_id,
            row.commitment,
            row.sealed.key_id,
            row.sealed.nonce,
            row.sealed.ciphertext,
        )

    async def sealed_contact(self, note_id: uuid.UUID, commitment: str) -> SealedContact | None:
        row = await self.events.pool.fetchrow(
            f"SELECT key_id, nonce, ciphertext FROM {self.events.schema}.contacts "
            "WHERE note_id = $1 AND commitment = $2",
            note_id,
            commitment,
        )
        return SealedContact(row["key_id"], row["nonce"], row["ciphertext"]) if row else None

    async def note_of_invitation(self, token_hash: str) -> uuid.UUID | None:
        note_id: uuid.UUID | None = await self.events.pool.fetchval(
            f"SELECT note_id FROM {self.events.schema}.invitations WHERE token_hash = $1",
            token_hash,
        )
        return note_id
