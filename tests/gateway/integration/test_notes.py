"""Notes over the API: draft, list with filters and paging, read with the timeline, amend,
invite, accept, cancel; and 404 for everyone who is not a party."""

from __future__ import annotations

import uuid

from tests.gateway.conftest import drafted, iou_terms, verified
from tests.gateway.journey import invite, status_becomes
from tests.gateway.stack import Stack, eventually


async def test_a_lender_drafts_lists_reads_and_amends_a_note(stack: Stack) -> None:
    lender = stack.client()
    await verified(stack, lender)
    note_id = await drafted(stack, lender)
    note = await lender.get(f"/api/v1/notes/{note_id}")
    assert note.status_code == 200
    body = note.json()
    assert body["my_role"] == "lender"
    assert body["note"]["counterparty"]["phone_masked"] != "13912345678"

    async def listed() -> bool:
        page = (await lender.get("/api/v1/notes", params={"role": "lender"})).json()
        return [i["note_id"] for i in page["items"]] == [note_id]

    await eventually(listed)
    assert (await lender.get("/api/v1/notes", params={"role": "borrower"})).json()["total"] == 0
    amended = await lender.put(
        f"/api/v1/notes/{note_id}/terms", json={"terms": iou_terms(principal="20000.00")}
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["note_version"] == 2

    async def timeline_shows_both() -> bool:
        entries = (await lender.get(f"/api/v1/notes/{note_id}/timeline")).json()
        return [e["event_type"] for e in entries] == ["NoteDrafted", "NoteTermsAmended"]

    await eventually(timeline_shows_both)


async def test_listing_pages_and_filters(stack: Stack) -> None:
    lender = stack.client()
    await verified(stack, lender)
    ids = [await drafted(stack, lender, purpose=f"第{i}笔") for i in range(3)]

    async def all_three() -> bool:
        return (await lender.get("/api/v1/notes")).json()["total"] == 3

    await eventually(all_three)
    first = (await lender.get("/api/v1/notes", params={"page_size": 2})).json()
    second = (await lender.get("/api/v1/notes", params={"page_size": 2, "page": 2})).json()
    seen = [i["note_id"] for i in first["items"] + second["items"]]
    assert sorted(seen) == sorted(ids)
    assert (await lender.get("/api/v1/notes", params={"status": "draft"})).json()["total"] == 3
    assert (await lender.get("/api/v1/notes", params={"status": "completed"})).json()["total"] == 0
    bad = await lender.get("/api/v1/notes", params={"page_size": 500})
    assert bad.status_code == 422
    assert bad.json()["field"] == "page_size"
    wrong_status = await lender.get("/api/v1/notes", params={"status": "bogus"})
    assert wrong_status.status_code == 422


async def test_each_rule_broken_is_named_with_its_field(stack: Stack) -> None:
    lender = stack.client()
    await verified(stack, lender)
    cases = {
        "above_limit": {"principal": "100000.01"},
        "above_cap": {"annual_rate_percent": "24"},
        "fen_precision": {"principal": "100.001"},
    }
    for rule, terms in cases.items():
        reply = await lender.post(
            "/api/v1/notes",
            json={
                "accepted_disclaimer_version": "2026-01",
                "counterparty": {"display_name": "李四", "phone": "13912345678"},
                "terms": iou_terms(**terms),
            },
        )
        assert reply.status_code == 422, (rule, reply.text)
        assert reply.json()["code"] == rule
        assert reply.json()["field"]
        assert reply.json()["message_zh"]
    unknown_template = await lender.post(
        "/api/v1/notes",
        json={
            "counterparty": {"display_name": "李四", "phone": "139"},
            "terms": {"template": "loan"},
        },
    )
    assert unknown_template.status_code == 422
    no_principal = {k: v for k, v in iou_terms().items() if k != "principal"}
    missing = await lender.post("/api/v1/notes/preview", json={"terms": no_principal})
    assert missing.status_code == 422
    assert missing.json()["field"] == "terms.principal"
    assert missing.json()["message_zh"] == "terms.principal：必填项未填写"
    assert (await lender.get("/api/v1/notes")).json()["total"] == 0


async def test_preview_validates_live_and_saves_nothing(stack: Stack) -> None:
    client = stack.client()
    preview = await client.post("/api/v1/notes/preview", json={"terms": iou_terms()})
    assert preview.status_code == 200
    assert preview.json()["valid"] is True
    assert "壹万元整" in "".join(preview.json()["capitals"].values())
    broken = await client.post(
        "/api/v1/notes/preview", json={"terms": iou_terms(principal="200000")}
    )
    assert broken.json()["valid"] is False
    assert broken.json()["problems"][0]["rule"] == "above_limit"


async def test_an_unverified_party_cannot_draft(stack: Stack) -> None:
    client = stack.client()
    await stack.login(client)
    reply = await client.post(
        "/api/v1/notes",
        json={
            "accepted_disclaimer_version": "2026-01",
            "counterparty": {"display_name": "李四", "phone": "13912345678"},
            "terms": iou_terms(),
        },
    )
    assert reply.status_code == 409
    assert reply.json()["code"] == "not_verified"


async def test_an_invitation_opens_one_note_once(stack: Stack) -> None:
    lender, borrower, late = stack.client(), stack.client(), stack.client()
    await verified(stack, lender)
    await verified(stack, borrower, "李四")
    await verified(stack, late, "王五")
    note_id = await drafted(stack, lender)
    token = await invite(lender, note_id)

    async def opened() -> bool:
        return (await borrower.get(f"/api/v1/invitations/{token}")).status_code == 200

    await eventually(opened)
    view = (await borrower.get(f"/api/v1/invitations/{token}")).json()
    assert view["your_role"] == "borrower"
    assert view["state"] == "active"
    assert "note_id" not in view
    accepted = await borrower.post(f"/api/v1/invitations/{token}/accept")
    assert accepted.status_code == 200, accepted.text
    assert (await borrower.get(f"/api/v1/notes/{note_id}")).json()["my_role"] == "borrower"
    again = await late.post(f"/api/v1/invitations/{token}/accept")
    assert again.status_code == 409
    assert again.json()["code"] == "invitation_revoked"
    assert (await late.get(f"/api/v1/notes/{note_id}")).status_code == 404
    unknown = await late.post(f"/api/v1/invitations/{'x' * 43}/accept")
    assert unknown.status_code == 404
    assert (await late.get(f"/api/v1/invitations/{'x' * 43}")).status_code == 404

    async def shown_used() -> bool:
        return (await late.get(f"/api/v1/invitations/{token}")).json()["state"] == "used"

    await eventually(shown_used)


async def test_a_third_party_gets_404_on_everything_of_the_note(stack: Stack) -> None:
    lender, stranger = stack.client(), stack.client()
    await verified(stack, lender)
    await verified(stack, stranger, "王五")
    note_id = await drafted(stack, lender)
    await status_becomes(lender, note_id, "draft")
    attempts = [
        ("GET", f"/api/v1/notes/{note_id}", None),
        ("GET", f"/api/v1/notes/{note_id}/timeline", None),
        ("PUT", f"/api/v1/notes/{note_id}/terms", {"terms": iou_terms()}),
        ("PUT", f"/api/v1/notes/{note_id}/counterparty", {"display_name": "x", "phone": "1"}),
        ("POST", f"/api/v1/notes/{note_id}/cancel", {"reason": "withdrawn"}),
        ("POST", f"/api/v1/notes/{note_id}/invitation", None),
        ("DELETE", f"/api/v1/notes/{note_id}/invitation", None),
        ("POST", f"/api/v1/notes/{note_id}/submit", None),
        (
            "POST",
            f"/api/v1/notes/{note_id}/sign",
            {"intent_confirmed": True, "handwriting": {"strokes": [], "png_base64": "x"}},
        ),
        ("POST", f"/api/v1/notes/{note_id}/decline", {"reason": "no"}),
        (
            "POST",
            f"/api/v1/notes/{note_id}/void",
            {
                "intent_confirmed": True,
                "reason_code": "other",
                "handwriting": {"strokes": [], "png_base64": "x"},
            },
        ),
        (
            "POST",
            f"/api/v1/notes/{note_id}/void/sign",
            {"intent_confirmed": True, "handwriting": {"strokes": [], "png_base64": "x"}},
        ),
        ("POST", f"/api/v1/notes/{note_id}/void/decline", {"reason": "no"}),
        ("POST", f"/api/v1/notes/{note_id}/void/withdraw", None),
        ("GET", f"/api/v1/notes/{note_id}/signatures", None),
        ("GET", f"/api/v1/notes/{note_id}/stamp.svg", None),
        ("GET", f"/api/v1/notes/{note_id}/evidence", None),
    ]
    for method, path, body in attempts:
        reply = await stranger.request(method, path, json=body)
        assert reply.status_code == 404, (method, path, reply.text)
        assert reply.json()["code"] in ("not_found", "note_not_found")
    timeline = (await lender.get(f"/api/v1/notes/{note_id}/timeline")).json()
    receipt = await stranger.get(f"/api/v1/receipts/{timeline[0]['event_id']}")
    assert receipt.status_code == 404
    assert (await stranger.get("/api/v1/notes")).json()["total"] == 0
    missing = await lender.get(f"/api/v1/notes/{uuid.uuid4()}")
    assert missing.status_code == 404


async def test_the_initiator_cancels_before_signing(stack: Stack) -> None:
    lender = stack.client()
    await verified(stack, lender)
    note_id = await drafted(stack, lender)
    reply = await lender.post(f"/api/v1/notes/{note_id}/cancel", json={"reason": "mistake"})
    assert reply.status_code == 200
    await status_becomes(lender, note_id, "cancelled")
    again = await lender.put(f"/api/v1/notes/{note_id}/terms", json={"terms": iou_terms()})
    assert again.status_code == 409
    bad_reason = await lender.post(f"/api/v1/notes/{note_id}/cancel", json={"reason": "bored"})
    assert bad_reason.status_code == 422
    assert bad_reason.json()["field"] == "reason"


async def test_the_initiator_corrects_the_contact_and_revokes_and_reissues(stack: Stack) -> None:
    lender, borrower = stack.client(), stack.client()
    await verified(stack, lender)
    await verified(stack, borrower, "赵六")
    note_id = await drafted(stack, lender)
    corrected = await lender.put(
        f"/api/v1/notes/{note_id}/counterparty",
        json={"display_name": "赵六", "phone": "13700001111"},
    )
    assert corrected.status_code == 200, corrected.text
    shown = (await lender.get(f"/api/v1/notes/{note_id}")).json()["note"]["counterparty"]
    assert shown["display_name"] == "赵六"
    assert shown["phone_masked"] == "137****1111"
    first = await invite(lender, note_id)
    twice = await lender.post(f"/api/v1/notes/{note_id}/invitation")
    assert twice.status_code == 409
    revoked = await lender.delete(f"/api/v1/notes/{note_id}/invitation")
    assert revoked.status_code == 200, revoked.text
    refused = await borrower.post(f"/api/v1/invitations/{first}/accept")
    assert refused.status_code == 409
    assert refused.json()["code"] == "invitation_revoked"
    again = await lender.post(f"/api/v1/notes/{note_id}/invitation", params={"reissue": True})
    assert again.status_code == 201, again.text
    accepted = await borrower.post(f"/api/v1/invitations/{again.json()['token']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["note_id"] == note_id
