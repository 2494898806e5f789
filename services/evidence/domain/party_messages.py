"""The exact bytes each party signs, rebuilt as signing builds them
(`services/signing/domain/messages.py`): RFC 8785 documents naming every part."""

from __future__ import annotations

from collections.abc import Sequence

from services.evidence.domain.jcs import canonical_bytes, digest_hex
from services.evidence.domain.party_events import Signed, VoidAnswer, VoidRequest

SIGN_FORMAT = "jietiao.sign.v1"
VOID_FORMAT = "jietiao.void.v1"


def _signer(
    party_id: str, s: Signed | VoidRequest | VoidAnswer, previous: str | None
) -> dict[str, object]:
    return {
        "party_id": party_id,
        "role": s.role,
        "identity_commitment": s.check.identity_commitment,
        "handwriting_digest": s.handwriting.digest,
        "previous_signature": previous,
        "ticket_id": s.check.ticket_id,
        "method": s.check.method,
        "intent_version": s.check.intent_version,
    }


def signing_message(
    note_id: str, note_version: int, document_digest: str, s: Signed, previous: str | None
) -> tuple[str, bytes]:
    """The format the signature must claim and the bytes it must cover."""
    document = {
        "format": SIGN_FORMAT,
        "note_id": note_id,
        "note_version": note_version,
        "document_digest": document_digest,
        "signer": _signer(s.party_id, s, previous),
    }
    return SIGN_FORMAT, canonical_bytes(document)


def void_message(
    note_id: str,
    request: VoidRequest,
    final: str,
    signer: tuple[str, VoidRequest | VoidAnswer],
    previous: str | None,
) -> tuple[str, bytes]:
    """What the requester (`previous` None) and then the other party sign to void the note."""
    party_id, signed = signer
    document = {
        "format": VOID_FORMAT,
        "note_id": note_id,
        "void_id": request.void_id,
        "final_digest": final,
        "reason": {"code": request.reason_code, "text": request.reason_text},
        "expires_at": request.expires_at,
        "signer": _signer(party_id, signed, previous),
    }
    return VOID_FORMAT, canonical_bytes(document)


def final_digest(
    note_id: str, note_version: int, document_digest: str, signatures: Sequence[str]
) -> str:
    return digest_hex(
        {
            "kind": "jietiao.completed",
            "note_id": note_id,
            "note_version": note_version,
            "document_digest": document_digest,
            "signatures": list(signatures),
        }
    )
