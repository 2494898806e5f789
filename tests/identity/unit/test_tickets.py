"""Signing tickets offline: signature, tampering, and each binding a redemption checks."""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.identity.domain.errors import Refusal
from services.identity.domain.redemption import RedemptionRequest, refuse_unless_redeemable
from services.identity.domain.tickets import TicketClaims, decode_ticket, encode_ticket

KEY = Ed25519PrivateKey.generate()
KEYS = {"k1": KEY.public_key()}
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CLAIMS = TicketClaims(
    ticket_id=uuid.uuid4(),
    party_id=uuid.uuid4(),
    note_id=uuid.uuid4(),
    document_digest="ab" * 32,
    purpose="sign",
    method="face",
    issued_at=NOW,
    expires_at=NOW + timedelta(minutes=5),
    kid="k1",
)
REQUEST = RedemptionRequest(CLAIMS.party_id, CLAIMS.note_id, CLAIMS.document_digest, "sign")


def test_a_ticket_round_trips_with_the_public_key_alone() -> None:
    assert decode_ticket(encode_ticket(CLAIMS, KEY), KEYS) == CLAIMS


def _reencode(ticket: str, **changes: str) -> str:
    prefix, body, signature = ticket.split(".")
    doc = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw = json.dumps({**doc, **changes}).encode()
    return f"{prefix}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{signature}"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: _reencode(t, note_id=str(uuid.uuid4())),
        lambda t: _reencode(t, expires_at="2099-01-01T00:00:00Z"),
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
        lambda t: t.replace("jt1.", "jt2.", 1),
        lambda t: t + ".x",
        lambda t: "not a ticket",
        lambda t: encode_ticket(CLAIMS, Ed25519PrivateKey.generate()),
        lambda t: encode_ticket(dataclasses.replace(CLAIMS, kid="k2"), KEY),
    ],
)
def test_a_tampered_or_foreign_ticket_is_invalid(tamper: object) -> None:
    ticket = tamper(encode_ticket(CLAIMS, KEY))  # type: ignore[operator]
    with pytest.raises(Refusal) as refused:
        decode_ticket(ticket, KEYS)
    assert refused.value.code == "ticket_invalid"


def test_a_matching_ticket_is_redeemable_until_it_expires() -> None:
    refuse_unless_redeemable(CLAIMS, REQUEST, NOW + timedelta(minutes=4, seconds=59))
    with pytest.raises(Refusal) as refused:
        refuse_unless_redeemable(CLAIMS, REQUEST, CLAIMS.expires_at)
    assert refused.value.code == "ticket_expired"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"party_id": uuid.uuid4()}, "ticket_wrong_party"),
        ({"note_id": uuid.uuid4()}, "ticket_wrong_note"),
        ({"document_digest": "cd" * 32}, "ticket_wrong_digest"),
        ({"purpose": "void"}, "ticket_wrong_purpose"),
    ],
)
def test_each_binding_is_checked(change: dict[str, object], code: str) -> None:
    with pytest.raises(Refusal) as refused:
        refuse_unless_redeemable(CLAIMS, dataclasses.replace(REQUEST, **change), NOW)  # type: ignore[arg-type]
    assert refused.value.code == code
