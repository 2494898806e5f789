"""Packs of notes the real services signed (and voided): the stdlib verifier checks the parties'
signatures from the pack alone and reaches the signing service's own verdict."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from services.evidence.domain.parties import NAME
from services.evidence.verify import verify_document
from tests.conftest import new_namespace
from tests.evidence.unit.party_notes import by_signing, by_stdlib
from tests.gateway.conftest import drafted, verified
from tests.gateway.journey import completed_note, face_check, signature, status_becomes
from tests.gateway.stack import Stack, eventually, running_stack


@pytest.fixture(scope="module")
async def stack(servers: tuple[str, str]) -> AsyncIterator[Stack]:
    database_url, nats_url = servers
    async with running_stack(database_url, nats_url, new_namespace(), login_limit=5) as running:
        yield running


async def pack_with(client: httpx.AsyncClient, note_id: str, event_type: str) -> dict[str, Any]:
    async def anchored() -> bool:
        reply = await client.get(f"/api/v1/notes/{note_id}/evidence")
        return reply.status_code == 200 and any(
            json.loads(r["event_json"])["event_type"] == event_type
            for r in reply.json()["receipts"]
        )

    await eventually(anchored, within=60)
    pack: dict[str, Any] = (await client.get(f"/api/v1/notes/{note_id}/evidence")).json()
    return pack


def party_verdict(pack: dict[str, Any]) -> tuple[bool, str]:
    verdict = verify_document(pack, pack["log_keys"])
    assert verdict.ok, [c for c in verdict.checks if not c[1]]
    [(ok, detail)] = [(ok, d) for name, ok, d in verdict.checks if name == NAME]
    return ok, detail


def both(pack: dict[str, Any]) -> tuple[Any, Any]:
    events = [json.loads(r["event_json"]) for r in pack["receipts"]]
    return by_signing(events), by_stdlib(events)


async def test_a_real_iou_completed_then_voided_verifies_offline_as_signing_verifies_it(
    stack: Stack,
) -> None:
    lender, borrower = stack.client(), stack.client()
    await verified(stack, lender)
    await verified(stack, borrower, "李四")
    note_id = await drafted(stack, lender)
    await completed_note(stack, lender, borrower, note_id)
    completed = await pack_with(lender, note_id, "NoteCompleted")
    assert party_verdict(completed) == (True, "2 party signature(s) verify")
    signing, stdlib = both(completed)
    assert signing is not None
    assert signing[0]
    assert stdlib == signing

    await face_check(lender)
    body = {**signature(), "reason_code": "settled", "reason_text": "已还清"}
    assert (await lender.post(f"/api/v1/notes/{note_id}/void", json=body)).status_code == 200
    await face_check(borrower)
    signed = await borrower.post(f"/api/v1/notes/{note_id}/void/sign", json=signature())
    assert signed.status_code == 200, signed.text
    await status_becomes(lender, note_id, "voided")
    voided = await pack_with(lender, note_id, "NoteVoided")
    assert party_verdict(voided) == (True, "2 party signature(s) verify, note voided")
    signing, stdlib = both(voided)
    assert signing is not None
    assert signing[4]
    assert stdlib == signing
