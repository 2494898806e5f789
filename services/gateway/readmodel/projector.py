"""Folds every service's events into the gateway's read models, in the consumer's transaction."""

from __future__ import annotations

import json
from typing import Any

from services.gateway.domain.summary import NoteSummary, fold, status
from services.gateway.domain.timeline import detail
from shared.bus.consumer import Consumer
from shared.catalogue.drafting import CounterpartyInvited, CounterpartyJoined, InvitationRevoked
from shared.catalogue.evidence import EvidenceAnchored
from shared.events import Envelope
from shared.store import Transaction

NOTES = "gateway-notes"
ANCHORS = "gateway-anchors"
NOTE_SOURCES = ("drafting", "signing")


def source_of(event: Envelope) -> str:
    # The catalogue module that defines the payload names the service that publishes it.
    return type(event.payload).__module__.rsplit(".", 1)[-1]


async def project_note_event(event: Envelope, tx: Transaction) -> None:
    if event.stream_type == "note":
        await _note_event(source_of(event), event, tx)


async def project_anchor(event: Envelope, tx: Transaction) -> None:
    announced = event.payload
    if not isinstance(announced, EvidenceAnchored):
        return
    entries = announced.anchored
    await tx.conn.execute(
        f"INSERT INTO {tx.schema}.anchors (event_id, note_id, leaf_index, leaf_hash) "
        "SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[]) "
        "ON CONFLICT (event_id) DO NOTHING",
        [e.event_id for e in entries],
        [e.anchored_stream_id for e in entries],
        [e.leaf_index for e in entries],
        [e.leaf_hash for e in entries],
    )


async def _note_event(source: str, event: Envelope, tx: Transaction) -> None:
    row = await tx.conn.fetchrow(
        f"SELECT doc FROM {tx.schema}.note_summaries WHERE note_id = $1 FOR UPDATE",
        event.stream_id,
    )
    before = NoteSummary.model_validate_json(row["doc"]) if row else None
    after = fold(before, source, event)
    await _save_summary(tx, after)
    await _save_parties(tx, after)
    await _save_timeline(tx, source, event)
    await _save_invitation(tx, event)


async def _save_summary(tx: Transaction, note: NoteSummary) -> None:
    await tx.conn.execute(
        f"INSERT INTO {tx.schema}.note_summaries (note_id, doc, status, template, updated_at) "
        "VALUES ($1, $2::jsonb, $3, $4, $5) ON CONFLICT (note_id) DO UPDATE SET "
        "doc = excluded.doc, status = excluded.status, template = excluded.template, "
        "updated_at = excluded.updated_at",
        note.note_id,
        note.model_dump_json(),
        status(note),
        note.template,
        note.updated_at,
    )


async def _save_parties(tx: Transaction, note: NoteSummary) -> None:
    for party_id, role in note.parties().items():
        await tx.conn.execute(
            f"INSERT INTO {tx.schema}.note_parties (note_id, party_id, role) VALUES ($1, $2, $3) "
            "ON CONFLICT (note_id, party_id) DO UPDATE SET role = excluded.role",
            note.note_id,
            party_id,
            role,
        )


async def _save_timeline(tx: Transaction, source: str, event: Envelope) -> None:
    await tx.conn.execute(
        f"INSERT INTO {tx.schema}.note_timeline (event_id, note_id, source, event_type, version, "
        "occurred_at, actor, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) "
        "ON CONFLICT (event_id) DO NOTHING",
        event.event_id,
        event.stream_id,
        source,
        event.event_type,
        event.version,
        event.occurred_at,
        event.actor,
        json.dumps(detail(event)),
    )


async def _save_invitation(tx: Transaction, event: Envelope) -> None:
    payload: Any = event.payload
    if isinstance(payload, CounterpartyInvited):
        # A new invitation replaces the earlier ones.
        await tx.conn.execute(
            f"UPDATE {tx.schema}.invitations SET state = 'replaced' "
            "WHERE note_id = $1 AND state = 'active'",
            event.stream_id,
        )
        await tx.conn.execute(
            f"INSERT INTO {tx.schema}.invitations (token_hash, note_id, expires_at, state) "
            "VALUES ($1, $2, $3, 'active') ON CONFLICT (token_hash) DO NOTHING",
            payload.token_hash,
            event.stream_id,
            payload.expires_at,
        )
    elif isinstance(payload, InvitationRevoked | CounterpartyJoined):
        state = "used" if isinstance(payload, CounterpartyJoined) else "revoked"
        await tx.conn.execute(
            f"UPDATE {tx.schema}.invitations SET state = $2 WHERE token_hash = $1",
            payload.token_hash,
            state,
        )


def consumers() -> tuple[Consumer, Consumer]:
    """Notes in each stream's order; anchors in any order (each is one independent row, and
    the evidence log's one stream would otherwise serialise everything behind its slowest)."""
    return (
        Consumer(NOTES, NOTE_SOURCES, project_note_event),
        Consumer(
            ANCHORS,
            ("evidence",),
            project_anchor,
            event_types=frozenset({"EvidenceAnchored"}),
            ordered=False,
        ),
    )


READ_MODEL_TABLES = ("note_summaries", "note_parties", "note_timeline", "anchors", "invitations")
