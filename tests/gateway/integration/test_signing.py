"""Signing, declining, voiding and evidence over the API, on the real services."""

from __future__ import annotations

from typing import Any

import httpx

from tests.gateway.conftest import drafted, verified
from tests.gateway.journey import (
    completed_note,
    face_check,
    invite,
    signature,
    status_becomes,
)
from tests.gateway.stack import Stack, eventually


async def two_parties(stack: Stack) -> tuple[httpx.AsyncClient, httpx.AsyncClient, str]:
    lender, borrower = stack.client(), stack.client()
    await verified(stack, lender)
    await verified(stack, borrower, "李四")
    return lender, borrower, await drafted(stack, lender)


async def test_both_sign_and_the_note_completes_with_stamp_and_evidence(stack: Stack) -> None:
    lender, borrower, note_id = await two_parties(stack)
    await completed_note(stack, lender, borrower, note_id)
    note = (await borrower.get(f"/api/v1/notes/{note_id}")).json()
    assert note["status_zh"] == "已完成签署"
    assert len(note["signing"]["signed_by"]) == 2
    stamp = await borrower.get(f"/api/v1/notes/{note_id}/stamp.svg")
    assert stamp.status_code == 200
    assert stamp.headers["content-type"].startswith("image/svg+xml")
    assert "已完成签署" in stamp.text
    signatures = (await lender.get(f"/api/v1/notes/{note_id}/signatures")).json()
    assert [s["sequence"] for s in signatures["signatures"]] == [1, 2]
    for signer in note["signing"]["signed_by"]:
        drawn = await borrower.get(f"/api/v1/notes/{note_id}/handwriting/{signer}.png")
        assert drawn.status_code == 200
        assert drawn.content.startswith(b"\x89PNG")

    async def pack_has_completion() -> bool:
        reply = await lender.get(f"/api/v1/notes/{note_id}/evidence")
        if reply.status_code != 200:
            return False
        types = [r.get("event_json", "") for r in reply.json()["receipts"]]
        return any("NoteCompleted" in t for t in types)

    await eventually(pack_has_completion, within=60)
    pack = (await lender.get(f"/api/v1/notes/{note_id}/evidence")).json()
    anyone = stack.client()
    verdict = (await anyone.post("/api/v1/verify", json={"document": pack})).json()
    assert verdict["ok"] is True, [c for c in verdict["checks"] if not c["ok"]]
    assert any(c["name"].startswith("receipt") for c in verdict["checks"])
    assert verdict["kind"] == "pack"
    tampered = {**pack, "note_id": "00000000-0000-0000-0000-000000000000"}
    assert (await anyone.post("/api/v1/verify", json={"document": tampered})).json()["ok"] is False
    junk = await anyone.post("/api/v1/verify", json={"document": {"format": 1}})
    assert junk.status_code == 200
    assert junk.json()["ok"] is False
    download = await lender.get(f"/api/v1/notes/{note_id}/evidence", params={"download": True})
    assert "attachment" in download.headers["content-disposition"]

    timeline = (await lender.get(f"/api/v1/notes/{note_id}/timeline")).json()
    drafted_event = timeline[0]["event_id"]

    async def receipt_ready() -> bool:
        return (await borrower.get(f"/api/v1/receipts/{drafted_event}")).status_code == 200

    await eventually(receipt_ready, within=60)
    receipt = (await borrower.get(f"/api/v1/receipts/{drafted_event}")).json()
    checked = (await anyone.post("/api/v1/verify", json={"document": receipt})).json()
    assert checked == {**checked, "ok": True, "kind": "receipt"}


async def test_signing_needs_a_fresh_identity_check_and_intent(stack: Stack) -> None:
    lender, borrower, note_id = await two_parties(stack)
    token = await invite(lender, note_id)
    assert (await borrower.post(f"/api/v1/invitations/{token}/accept")).status_code == 200
    assert (await lender.post(f"/api/v1/notes/{note_id}/submit")).status_code == 200
    no_check = await lender.post(f"/api/v1/notes/{note_id}/sign", json=signature())
    assert no_check.status_code == 409, no_check.text
    assert no_check.json()["code"] == "check_required"
    no_intent = await lender.post(
        f"/api/v1/notes/{note_id}/sign", json={**signature(), "intent_confirmed": False}
    )
    assert no_intent.status_code == 422
    assert no_intent.json()["field"] == "intent_confirmed"
    out_of_turn = await borrower.post(f"/api/v1/notes/{note_id}/sign", json=signature())
    assert out_of_turn.status_code in (409, 422)
    await face_check(lender)
    scribble = {
        "intent_confirmed": True,
        "handwriting": {"strokes": [[[1, 1, 0]]], "png_base64": "x"},
    }
    refused = await lender.post(f"/api/v1/notes/{note_id}/sign", json=scribble)
    assert refused.status_code == 422
    assert refused.json()["field"].startswith("handwriting")
    # The refusal came before the identity check was spent: it still signs.
    signed = await lender.post(f"/api/v1/notes/{note_id}/sign", json=signature())
    assert signed.status_code == 200, signed.text


async def test_the_borrower_declines(stack: Stack) -> None:
    lender, borrower, note_id = await two_parties(stack)
    token = await invite(lender, note_id)
    await borrower.post(f"/api/v1/invitations/{token}/accept")
    await lender.post(f"/api/v1/notes/{note_id}/submit")
    await face_check(lender)
    assert (await lender.post(f"/api/v1/notes/{note_id}/sign", json=signature())).status_code == 200
    empty = await borrower.post(f"/api/v1/notes/{note_id}/decline", json={"reason": ""})
    assert empty.status_code == 422
    declined = await borrower.post(f"/api/v1/notes/{note_id}/decline", json={"reason": "金额不对"})
    assert declined.status_code == 200, declined.text
    await status_becomes(lender, note_id, "declined")


async def void_body(reason: str = "settled") -> dict[str, Any]:
    return {**signature(), "reason_code": reason, "reason_text": "已还清"}


async def test_the_void_journey(stack: Stack) -> None:
    lender, borrower, note_id = await two_parties(stack)
    await completed_note(stack, lender, borrower, note_id)
    premature = await borrower.post(f"/api/v1/notes/{note_id}/void/sign", json=signature())
    assert premature.status_code == 409
    # requested, then declined
    await face_check(lender)
    requested = await lender.post(f"/api/v1/notes/{note_id}/void", json=await void_body())
    assert requested.status_code == 200, requested.text
    await status_becomes(borrower, note_id, "void_pending")
    own = await lender.post(f"/api/v1/notes/{note_id}/void/decline", json={"reason": "x"})
    assert own.status_code in (409, 422)
    declined = await borrower.post(f"/api/v1/notes/{note_id}/void/decline", json={"reason": "没还"})
    assert declined.status_code == 200, declined.text
    await status_becomes(lender, note_id, "completed")
    # requested, then withdrawn
    await face_check(borrower)
    assert (
        await borrower.post(f"/api/v1/notes/{note_id}/void", json=await void_body())
    ).status_code == 200
    withdrawn = await borrower.post(f"/api/v1/notes/{note_id}/void/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    await status_becomes(lender, note_id, "completed")
    # requested, then countersigned: voided
    await face_check(lender)
    assert (
        await lender.post(f"/api/v1/notes/{note_id}/void", json=await void_body())
    ).status_code == 200
    await face_check(borrower)
    signed = await borrower.post(f"/api/v1/notes/{note_id}/void/sign", json=signature())
    assert signed.status_code == 200, signed.text
    await status_becomes(lender, note_id, "voided")
    note = (await lender.get(f"/api/v1/notes/{note_id}")).json()
    assert note["status_zh"] == "已废止"
