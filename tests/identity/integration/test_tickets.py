"""Signing tickets over the bus: issued after a fresh check, redeemed once, bound to a note."""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.identity.application.tickets import ticket_key_stream
from services.identity.domain.tickets import decode_ticket
from shared.commands import CommandRejected
from tests.identity.integration.support import DIGEST, Identity

PHONE = "13612345678"
NOTE = uuid.uuid4()


async def refused(identity: Identity, command: str, /, **request: object) -> CommandRejected:
    with pytest.raises(CommandRejected) as rejection:
        await identity.call(command, **request)
    return rejection.value


async def issue(identity: Identity, party_id: uuid.UUID, purpose: str = "sign") -> dict[str, Any]:
    return await identity.call(
        "issue_ticket",
        party_id=str(party_id),
        note_id=str(NOTE),
        document_digest=DIGEST.upper(),
        purpose=purpose,
    )


async def redemption(
    identity: Identity, ticket: str, party_id: uuid.UUID, changes: dict[str, str] | None = None
) -> dict[str, str]:
    profile = await identity.call("party_profile", party_id=str(party_id))
    request = {
        "ticket": ticket,
        "party_id": str(party_id),
        "note_id": str(NOTE),
        "document_digest": DIGEST,
        "purpose": "sign",
        "identity_commitment": profile["commitment"] or "0" * 64,
    }
    return {**request, **(changes or {})}


async def ready_party(identity: Identity, phone: str = PHONE) -> uuid.UUID:
    party_id = await identity.verified_party(phone)
    await identity.face_check(party_id)
    return party_id


async def test_a_ticket_needs_a_fresh_check_each_time(identity: Identity) -> None:
    party_id = await identity.verified_party(PHONE)
    assert (await refused(identity, "issue_ticket", **_issue_request(party_id))).code == (
        "check_required"
    )
    await identity.face_check(party_id)
    issued = await issue(identity, party_id)
    assert issued["method"] == "face"
    assert (await refused(identity, "issue_ticket", **_issue_request(party_id))).code == (
        "check_required"
    )
    await identity.face_check(party_id)
    identity.clock.advance(identity.ctx.settings.check_window_seconds)
    assert (await refused(identity, "issue_ticket", **_issue_request(party_id))).code == (
        "check_required"
    )
    unverified = (await identity.login("13612345679"))["party_id"]
    rejection = await refused(identity, "issue_ticket", **_issue_request(uuid.UUID(unverified)))
    assert rejection.code == "not_verified"


def _issue_request(party_id: uuid.UUID) -> dict[str, str]:
    return {
        "party_id": str(party_id),
        "note_id": str(NOTE),
        "document_digest": DIGEST,
        "purpose": "sign",
    }


async def test_a_ticket_is_redeemed_once(identity: Identity) -> None:
    party_id = await ready_party(identity)
    issued = await issue(identity, party_id)
    request = await redemption(identity, issued["ticket"], party_id)
    redeemed = await identity.call("redeem_ticket", **request)
    assert redeemed == {"ticket_id": issued["ticket_id"], "method": "face"}
    replay = await refused(identity, "redeem_ticket", **request)
    assert (replay.code, replay.field) == ("ticket_replayed", "ticket")
    events = await identity.events(party_id)
    assert [e.event_type for e in events[-2:]] == ["SigningTicketIssued", "SigningTicketRedeemed"]
    assert all(issued["ticket"].split(".")[2] not in e.model_dump_json() for e in events)


async def test_a_ticket_for_something_else_is_refused_and_stays_usable(identity: Identity) -> None:
    party_id = await ready_party(identity)
    issued = await issue(identity, party_id)
    other_party = uuid.uuid4()
    cases = [
        ({"party_id": str(other_party)}, "ticket_wrong_party"),
        ({"note_id": str(uuid.uuid4())}, "ticket_wrong_note"),
        ({"document_digest": "6a" * 32}, "ticket_wrong_digest"),
        ({"purpose": "void"}, "ticket_wrong_purpose"),
        ({"identity_commitment": "6b" * 32}, "identity_mismatch"),
    ]
    for change, code in cases:
        request = await redemption(identity, issued["ticket"], party_id, change)
        assert (await refused(identity, "redeem_ticket", **request)).code == code
    await identity.call("redeem_ticket", **await redemption(identity, issued["ticket"], party_id))


async def test_an_expired_ticket_is_refused(identity: Identity) -> None:
    party_id = await ready_party(identity)
    issued = await issue(identity, party_id)
    identity.clock.advance(identity.ctx.settings.ticket_ttl_seconds)
    request = await redemption(identity, issued["ticket"], party_id)
    rejection = await refused(identity, "redeem_ticket", **request)
    assert rejection.code == "ticket_expired"


async def test_a_tampered_signature_is_refused(identity: Identity) -> None:
    party_id = await ready_party(identity)
    ticket = (await issue(identity, party_id))["ticket"]
    signed, signature = ticket.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 1
    forged = f"{signed}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"
    rejection = await refused(
        identity, "redeem_ticket", **await redemption(identity, forged, party_id)
    )
    assert (rejection.code, rejection.field) == ("ticket_invalid", "ticket")
    garbage = await redemption(identity, "jt1.e30.AAAA", party_id)
    rejection = await refused(identity, "redeem_ticket", **garbage)
    assert rejection.code == "ticket_invalid"


async def test_of_concurrent_redemptions_exactly_one_wins(identity: Identity) -> None:
    party_id = await ready_party(identity)
    request = await redemption(identity, (await issue(identity, party_id))["ticket"], party_id)
    outcomes = await asyncio.gather(
        *(identity.call("redeem_ticket", **request) for _ in range(6)),
        return_exceptions=True,
    )
    wins = [o for o in outcomes if isinstance(o, dict)]
    losses = [o.code for o in outcomes if isinstance(o, CommandRejected)]
    assert (len(wins), losses) == (1, ["ticket_replayed"] * 5)


async def test_anyone_can_check_a_ticket_with_the_published_key(identity: Identity) -> None:
    party_id = await ready_party(identity)
    ticket = (await issue(identity, party_id, purpose="void"))["ticket"]
    published = await identity.call("ticket_public_key")
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(published["public_key"]))
    claims = decode_ticket(ticket, {published["kid"]: key})
    assert (claims.party_id, claims.note_id, claims.purpose) == (party_id, NOTE, "void")
    assert claims.document_digest == DIGEST
    [event] = await identity.events(ticket_key_stream(published["kid"]))
    assert event.event_type == "TicketKeyPublished"
    assert event.payload.model_dump()["public_key"] == published["public_key"]
