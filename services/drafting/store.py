"""Drafting's PostgreSQL side: notes as event streams, sealed contacts, invitation lookup.

Every write is one statement, atomic on its own: the events (which are also the outbox) and the
row of drafting's own tables that goes with them commit together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg

from services.drafting.adapters.vault import SealedContact
from services.drafting.domain.lpr import LprTable, parse_lpr_table
from services.drafting.domain.note import Note
from services.drafting.domain.projector import fold
from shared.events import Envelope, EventPayload, format_utc
from shared.store import EventStore, append_arguments, append_call, append_errors
from shared.store.postgres import Connection

_EVENT_COLUMNS = (
    "e.event_id, e.event_type, e.schema_version, e.stream_type, e.stream_id, e.version, "
    "e.occurred_at, e.correlation_id, e.causation_id, e.actor, e.payload"
)


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
    commitment: str
    sealed: SealedContact


@dataclass(frozen=True)
class NoteWithContact:
    note: Note
    sealed: SealedContact  # the contact of the note's current commitment


def _note_of(rows: Sequence[asyncpg.Record]) -> Note | None:
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


async def read_note(conn: Connection, schema: str, note_id: uuid.UUID) -> Note | None:
    rows = await conn.fetch(
        f"SELECT {_EVENT_COLUMNS} FROM {schema}.events e WHERE stream_id = $1 ORDER BY version",
        note_id,
    )
    return _note_of(rows)


class NoteStore:
    def __init__(self, events: EventStore) -> None:
        self.events = events

    async def load(self, note_id: uuid.UUID) -> Note | None:
        async with self.events.pool.acquire() as conn:
            return await read_note(conn, self.events.schema, note_id)

    async def load_with_contact(self, note_id: uuid.UUID) -> NoteWithContact | None:
        return await self._with_contact("$1", note_id)

    async def load_invited(self, token_hash: str) -> NoteWithContact | None:
        """The note an invitation token (its hash) was issued for, found in the same read."""
        schema = self.events.schema
        return await self._with_contact(
            f"(SELECT note_id FROM {schema}.invitations WHERE token_hash = $1)", token_hash
        )

    async def _with_contact(self, stream: str, key: uuid.UUID | str) -> NoteWithContact | None:
        # Each event that sets a contact commitment brings that commitment's sealed row along.
        schema = self.events.schema
        rows = await self.events.pool.fetch(
            f"SELECT {_EVENT_COLUMNS}, c.commitment, c.key_id, c.nonce, c.ciphertext "
            f"FROM {schema}.events e LEFT JOIN {schema}.contacts c "
            "ON c.note_id = e.stream_id AND c.commitment = e.payload->>'contact_commitment' "
            f"WHERE e.stream_id = {stream} ORDER BY e.version",
            key,
        )
        note = _note_of(rows)
        if note is None:
            return None
        sealed = {
            r["commitment"]: SealedContact(r["key_id"], r["nonce"], r["ciphertext"])
            for r in rows
            if r["commitment"] is not None
        }
        assert note.contact_commitment in sealed, "every contact commitment has its sealed row"
        return NoteWithContact(note, sealed[note.contact_commitment])

    async def save(
        self,
        events: Sequence[Envelope],
        *,
        contact: ContactRow | None = None,
        invitation: str | None = None,
    ) -> None:
        """Append `events` (optimistically) with their contact or invitation row, atomically."""
        assert contact is None or invitation is None, "a command saves at most one row"
        schema = self.events.schema
        append = append_call(schema)
        if contact is not None:
            await self._append_with(
                events,
                f"INSERT INTO {schema}.contacts (note_id, commitment, key_id, nonce, ciphertext) "
                f"SELECT $1, $12, $13, $14, $15 FROM {append} ON CONFLICT DO NOTHING",
                contact.commitment,
                contact.sealed.key_id,
                contact.sealed.nonce,
                contact.sealed.ciphertext,
            )
        elif invitation is not None:
            await self._append_with(
                events,
                f"INSERT INTO {schema}.invitations (token_hash, note_id) "
                f"SELECT $12, $1 FROM {append}",
                invitation,
            )
        else:
            await self.events.append(events)

    async def _append_with(self, events: Sequence[Envelope], sql: str, *row: Any) -> None:
        # The row is inserted from the append's own result: one statement, no BEGIN/COMMIT.
        arguments = append_arguments(events)
        with append_errors(events):
            async with self.events.writing(events) as conn:
                await conn.execute(sql, *arguments, *row)
