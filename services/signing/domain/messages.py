"""The exact bytes each signature covers, and the note's final digest.

"‖" in the design (digest ‖ initiator's signature ‖ identity commitment) is realised as one
RFC 8785 document rather than raw concatenation: every part is named, so no two different
inputs can produce the same bytes, and a verifier in any language can rebuild them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.catalogue.signing import SignerCheck
from shared.events import canonical_bytes, digest, format_utc

SIGN_FORMAT = "jietiao.sign.v1"
VOID_FORMAT = "jietiao.void.v1"


@dataclass(frozen=True)
class SignerFacts:
    """Who signs, with what handwriting, after which signature, authorised by which check."""

    party_id: uuid.UUID
    role: str
    handwriting_digest: str
    previous_signature: str | None
    check: SignerCheck

    @property
    def identity_commitment(self) -> str:
        return self.check.identity_commitment


def _signer(facts: SignerFacts) -> dict[str, object]:
    return {
        "party_id": str(facts.party_id),
        "role": facts.role,
        "identity_commitment": facts.check.identity_commitment,
        "handwriting_digest": facts.handwriting_digest,
        "previous_signature": facts.previous_signature,
        "ticket_id": str(facts.check.ticket_id),
        "method": facts.check.method,
        "intent_version": facts.check.intent_version,
    }


def signing_message(
    note_id: uuid.UUID, note_version: int, document_digest: str, signer: SignerFacts
) -> bytes:
    """What a party signs: the first signer over the digest, each later one over it and the
    signature before theirs, so the order of signing is part of what is signed."""
    return canonical_bytes(
        {
            "format": SIGN_FORMAT,
            "note_id": str(note_id),
            "note_version": note_version,
            "document_digest": document_digest,
            "signer": _signer(signer),
        }
    )


@dataclass(frozen=True)
class VoidFacts:
    note_id: uuid.UUID
    void_id: uuid.UUID
    final_digest: str
    reason_code: str
    reason_text: str
    expires_at: datetime


def void_message(void: VoidFacts, signer: SignerFacts) -> bytes:
    """What the requester (previous_signature None) and then the other party sign to void."""
    return canonical_bytes(
        {
            "format": VOID_FORMAT,
            "note_id": str(void.note_id),
            "void_id": str(void.void_id),
            "final_digest": void.final_digest,
            "reason": {"code": void.reason_code, "text": void.reason_text},
            "expires_at": format_utc(void.expires_at),
            "signer": _signer(signer),
        }
    )


def final_digest(
    note_id: uuid.UUID, note_version: int, document_digest: str, signatures: Sequence[str]
) -> str:
    """The digest of the completed note: the document and every signature, in order."""
    return digest(
        {
            "kind": "jietiao.completed",
            "note_id": str(note_id),
            "note_version": note_version,
            "document_digest": document_digest,
            "signatures": list(signatures),
        }
    ).hex()
