"""Evidence: a receipt per event and a pack per note for the parties; verification for anyone."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from services.gateway.http import models as m
from services.gateway.http.auth import Gateway, Session, gateway, require_session
from services.gateway.http.errors import not_found
from services.gateway.http.routes_notes import note_for
from services.gateway.http.verify import verdict_of
from services.gateway.readmodel.queries import ReadModels

router = APIRouter(prefix="/api/v1", tags=["evidence"])
GW = Annotated[Gateway, Depends(gateway)]
Me = Annotated[Session, Depends(require_session)]


@router.get("/notes/{note_id}/evidence", response_model=m.ResultOut)
async def evidence_pack(note_id: uuid.UUID, gw: GW, me: Me, download: bool = False) -> Any:
    await note_for(gw, note_id, me)
    pack = (await gw.call("evidence", "evidence_pack", {"note_id": str(note_id)}))["document"]
    if not download:
        return pack
    return Response(
        json.dumps(pack, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="evidence-{note_id}.json"'},
    )


@router.get("/receipts/{event_id}", response_model=m.ResultOut)
async def receipt(event_id: uuid.UUID, gw: GW, me: Me) -> dict[str, Any]:
    note_id = await ReadModels(gw.store).note_of_event(event_id)
    if note_id is None:
        raise not_found("event_id")
    await note_for(gw, note_id, me)
    document: dict[str, Any] = (await gw.call("evidence", "receipt", {"event_id": str(event_id)}))[
        "document"
    ]
    return document


@router.get("/checkpoint", response_model=m.ResultOut)
async def latest_checkpoint(gw: GW) -> dict[str, Any]:
    return await gw.call("evidence", "latest_checkpoint", {})


async def verify_document(gw: Gateway, document: dict[str, Any]) -> dict[str, Any]:
    published = await gw.call("evidence", "latest_checkpoint", {})
    return verdict_of(document, [str(k) for k in published["log_keys"]])


@router.post("/verify", response_model=m.VerdictOut)
async def verify(body: m.VerifyIn, gw: GW) -> dict[str, Any]:
    """Check an evidence pack or a receipt; no login needed."""
    return await verify_document(gw, body.document)


__all__ = ["Session", "router"]
