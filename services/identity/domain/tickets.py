"""Signing tickets: `jt1.<base64url(JCS claims)>.<base64url(Ed25519 signature)>`.

A ticket binds one party, one note, one document digest, one purpose and the check method. The
signature covers the ASCII text before the last dot, so a verifier needs only the public key.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.identity.domain.errors import Refusal
from shared.catalogue.identity import TicketPurpose
from shared.events import canonical_bytes, format_utc

PREFIX = "jt1"


@dataclass(frozen=True)
class TicketClaims:
    ticket_id: uuid.UUID
    party_id: uuid.UUID
    note_id: uuid.UUID
    document_digest: str
    purpose: TicketPurpose
    method: str
    issued_at: datetime
    expires_at: datetime
    kid: str

    def document(self) -> dict[str, Any]:
        return {
            "ticket_id": str(self.ticket_id),
            "party_id": str(self.party_id),
            "note_id": str(self.note_id),
            "document_digest": self.document_digest,
            "purpose": self.purpose,
            "method": self.method,
            "issued_at": format_utc(self.issued_at),
            "expires_at": format_utc(self.expires_at),
            "kid": self.kid,
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_ticket(claims: TicketClaims, key: Ed25519PrivateKey) -> str:
    signed = f"{PREFIX}.{_b64(canonical_bytes(claims.document()))}"
    return f"{signed}.{_b64(key.sign(signed.encode()))}"


def invalid_ticket() -> Refusal:
    return Refusal(
        "ticket_invalid", "the signing ticket is malformed or its signature is not valid",
        message_zh="签署凭证无效（格式或签名错误）", field="ticket",
    )  # fmt: skip


def decode_ticket(ticket: str, keys: Mapping[str, Ed25519PublicKey]) -> TicketClaims:
    """The claims of a ticket whose signature verifies under the key it names."""
    try:
        prefix, body, signature = ticket.split(".")
        doc = json.loads(_unb64(body))
        key = keys[doc["kid"]] if prefix == PREFIX else None
        if key is None:
            raise invalid_ticket()
        key.verify(_unb64(signature), f"{prefix}.{body}".encode())
        return _claims(doc)
    except (ValueError, KeyError, TypeError, binascii.Error, InvalidSignature) as error:
        raise invalid_ticket() from error


def _claims(doc: dict[str, Any]) -> TicketClaims:
    if doc.get("purpose") not in ("sign", "void"):
        raise ValueError("purpose")
    return TicketClaims(
        ticket_id=uuid.UUID(doc["ticket_id"]),
        party_id=uuid.UUID(doc["party_id"]),
        note_id=uuid.UUID(doc["note_id"]),
        document_digest=str(doc["document_digest"]),
        purpose=doc["purpose"],
        method=str(doc["method"]),
        issued_at=datetime.fromisoformat(doc["issued_at"]),
        expires_at=datetime.fromisoformat(doc["expires_at"]),
        kid=str(doc["kid"]),
    )
