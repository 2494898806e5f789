"""Steps of the whole journey over the API, shared by the API tests."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
from PIL import Image, ImageDraw

from tests.gateway.stack import Stack, eventually


def png(width: int = 300, height: int = 120, draw_line: bool = True) -> str:
    image = Image.new("RGB", (width, height), "white")
    if draw_line:
        ImageDraw.Draw(image).line([(10, 60), (150, 20), (290, 100)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def handwriting() -> dict[str, Any]:
    stroke = [[10.0 + 14 * i, 60.0 + (i % 3) * 12, 40 * i] for i in range(20)]
    return {"strokes": [stroke], "png_base64": png()}


def signature() -> dict[str, Any]:
    return {"intent_confirmed": True, "handwriting": handwriting()}


async def face_check(client: httpx.AsyncClient) -> None:
    reply = await client.post("/api/v1/identity/face", json={"image_base64": png(128, 128)})
    assert reply.status_code == 200, reply.text


async def invite(client: httpx.AsyncClient, note_id: str) -> str:
    reply = await client.post(f"/api/v1/notes/{note_id}/invitation")
    assert reply.status_code == 201, reply.text
    return str(reply.json()["token"])


async def status_becomes(client: httpx.AsyncClient, note_id: str, status: str) -> None:
    async def reached() -> bool:
        reply = await client.get(f"/api/v1/notes/{note_id}")
        return reply.status_code == 200 and reply.json()["status"] == status

    await eventually(reached, within=30)


async def sign(client: httpx.AsyncClient, note_id: str) -> dict[str, Any]:
    await face_check(client)
    reply = await client.post(f"/api/v1/notes/{note_id}/sign", json=signature())
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


async def completed_note(
    stack: Stack, lender: httpx.AsyncClient, borrower: httpx.AsyncClient, note_id: str
) -> None:
    """Invite, accept, submit and both sign: the note ends 已完成签署."""
    token = await invite(lender, note_id)
    accepted = await borrower.post(f"/api/v1/invitations/{token}/accept")
    assert accepted.status_code == 200, accepted.text
    submitted = await lender.post(f"/api/v1/notes/{note_id}/submit")
    assert submitted.status_code == 200, submitted.text
    await sign(lender, note_id)
    second = await sign(borrower, note_id)
    # Completed in the reply if drafting's lock of the terms (after the first signature) was
    # recorded before it; else still open, and the lock completes the note a moment later.
    assert (second["completed"], second["status"]) in ((True, "completed"), (False, "open"))
    await status_becomes(lender, note_id, "completed")
