"""Reads of the gateway's read models (every query names the party asking)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from services.gateway.domain.summary import NoteSummary
from services.gateway.domain.timeline import label_zh
from shared.store import EventStore

STATUS_ZH = {
    "draft": "草稿",
    "invited": "待对方加入",
    "joined": "待提交签署",
    "signing": "签署中",
    "declined": "已拒签",
    "cancelled": "已撤销",
    "completed": "已完成签署",
    "void_pending": "废止中",
    "voided": "已废止",
}


@dataclass(frozen=True)
class NoteFilter:
    role: str | None = None
    status: str | None = None
    template: str | None = None


class ReadModels:
    def __init__(self, store: EventStore) -> None:
        self.pool = store.pool
        self.schema = store.schema

    async def my_notes(
        self, party_id: uuid.UUID, where: NoteFilter, page: int, page_size: int
    ) -> tuple[list[dict[str, Any]], int]:
        s = self.schema
        conditions, args = ["p.party_id = $1"], list[object]([party_id])
        for column, value in (("p.role", where.role), ("n.status", where.status)):
            if value is not None:
                args.append(value)
                conditions.append(f"{column} = ${len(args)}")
        if where.template is not None:
            args.append(where.template)
            conditions.append(f"n.template = ${len(args)}")
        sql_where = " AND ".join(conditions)
        base = (
            f"FROM {s}.note_parties p JOIN {s}.note_summaries n USING (note_id) WHERE {sql_where}"
        )
        total = await self.pool.fetchval(f"SELECT count(*) {base}", *args)
        rows = await self.pool.fetch(
            f"SELECT n.doc, n.status, p.role {base} ORDER BY n.updated_at DESC, n.note_id "
            f"LIMIT {int(page_size)} OFFSET {int((page - 1) * page_size)}",
            *args,
        )
        return [_list_item(r) for r in rows], int(total)

    async def role_of(self, note_id: uuid.UUID, party_id: uuid.UUID) -> str | None:
        role: str | None = await self.pool.fetchval(
            f"SELECT role FROM {self.schema}.note_parties WHERE note_id = $1 AND party_id = $2",
            note_id,
            party_id,
        )
        return role

    async def summary(self, note_id: uuid.UUID) -> tuple[NoteSummary, str] | None:
        row = await self.pool.fetchrow(
            f"SELECT doc, status FROM {self.schema}.note_summaries WHERE note_id = $1", note_id
        )
        return (NoteSummary.model_validate_json(row["doc"]), row["status"]) if row else None

    async def timeline(self, note_id: uuid.UUID) -> list[dict[str, Any]]:
        s = self.schema
        rows = await self.pool.fetch(
            f"SELECT t.event_id, t.source, t.event_type, t.occurred_at, t.detail, a.leaf_index "
            f"FROM {s}.note_timeline t LEFT JOIN {s}.anchors a USING (event_id) "
            "WHERE t.note_id = $1 ORDER BY t.occurred_at, t.source, t.version",
            note_id,
        )
        return [
            {
                **dict(r),
                "detail": json.loads(r["detail"]),
                "label_zh": label_zh(r["event_type"]),
            }
            for r in rows
        ]

    async def note_of_event(self, event_id: uuid.UUID) -> uuid.UUID | None:
        note_id: uuid.UUID | None = await self.pool.fetchval(
            f"SELECT note_id FROM {self.schema}.note_timeline WHERE event_id = $1", event_id
        )
        return note_id

    async def invitation(self, token_hash: str) -> dict[str, Any] | None:
        row = await self.pool.fetchrow(
            f"SELECT note_id, expires_at, state FROM {self.schema}.invitations "
            "WHERE token_hash = $1",
            token_hash,
        )
        return dict(row) if row else None

    async def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every read-model row, in a stable order (to compare a rebuild with the live one)."""
        tables = {
            "note_summaries": "note_id",
            "note_parties": "note_id, party_id",
            "note_timeline": "event_id",
            "anchors": "event_id",
            "invitations": "token_hash",
        }
        return {
            table: [
                dict(r)
                for r in await self.pool.fetch(
                    f"SELECT * FROM {self.schema}.{table} ORDER BY {key}"
                )
            ]
            for table, key in tables.items()
        }


def _list_item(row: Any) -> dict[str, Any]:
    note = NoteSummary.model_validate_json(row["doc"])
    return {
        "note_id": note.note_id,
        "template": note.template,
        "status": row["status"],
        "status_zh": STATUS_ZH.get(row["status"], row["status"]),
        "my_role": row["role"],
        "amount": note.amount,
        "title": note.title,
        "due_date": note.due_date,
        "updated_at": note.updated_at,
    }
