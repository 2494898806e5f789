"""The payloads the parties' signatures live in, as the stdlib verifier reads them (see
`party_reading`): signing's payload classes, with identifiers and times as the text that
signing's messages carry."""

from __future__ import annotations

from dataclasses import dataclass


class CannotCheckError(ValueError):
    """An event whose signed bytes cannot be rebuilt: it does not say what signing wrote."""


@dataclass(frozen=True)
class Signature:
    algorithm: str
    key_id: str
    message_format: str
    value: str


@dataclass(frozen=True)
class Handwriting:
    digest: str
    png_sha256: str
    strokes_sha256: str


@dataclass(frozen=True)
class Check:
    ticket_id: str
    method: str
    identity_commitment: str
    intent_version: str


@dataclass(frozen=True)
class Key:
    party_id: str
    key_id: str
    algorithm: str
    public_key: str


@dataclass(frozen=True)
class Frozen:
    note_version: int
    document_digest: str
    document: dict[str, object]
    initiator_party_id: str
    counterparty_party_id: str
    counterparty_identity_commitment: str


@dataclass(frozen=True)
class Signed:
    note_id: str
    note_version: int
    party_id: str
    document_digest: str
    sequence: int
    previous_signature: str | None
    role: str
    signature: Signature
    handwriting: Handwriting
    check: Check


@dataclass(frozen=True)
class Completed:
    note_version: int
    document_digest: str
    final_digest: str
    completed_at: str
    signers: tuple[str, ...]
    stamp_svg_sha256: str
    stamp_png_sha256: str


@dataclass(frozen=True)
class VoidRequest:
    void_id: str
    requested_by: str
    reason_code: str
    reason_text: str
    final_digest: str
    expires_at: str
    role: str
    signature: Signature
    handwriting: Handwriting
    check: Check


@dataclass(frozen=True)
class VoidAnswer:
    void_id: str
    party_id: str
    role: str
    signature: Signature
    handwriting: Handwriting
    check: Check


@dataclass(frozen=True)
class Voided:
    void_id: str
    final_digest: str
    reason_code: str
    voided_at: str
