"""Events published by the signing service.

Note events have `stream_type = "note"` and `stream_id` = the note id (the same id as drafting's
note stream, in signing's own store). A party's signing key has a stream of its own:
`stream_type = "signing_key"`, `stream_id` = the party id.

How the signatures chain (see `services.signing.domain.messages` for the exact bytes): each
signer signs, with their own Ed25519 key, the RFC 8785 bytes of a document naming the note, the
document digest, their handwriting hash, their identity commitment, the identity ticket and
intent statement that authorised them (`check`) and the signature before theirs (none for the
first). So the initiator signs the document digest and the counterparty countersigns digest ‖
initiator's signature ‖ own identity commitment; any later change to the terms, a handwriting
hash or the order breaks a signature (`services.signing.domain.verification.verify_note` checks
all of it from the events and the published keys). A void is signed the same way over the final
digest ‖ reason ‖ expiry.

Digests are hex SHA-256; signatures and public keys are base64 (standard alphabet, padded).
Nothing here is personal data in clear: handwriting appears only as hashes.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.events import EventPayload

VoidReason = Literal["wrong_terms", "wrong_party", "settled", "agreement_ended", "other"]
SigningCloseReason = Literal["amended", "cancelled"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DigitalSignature(_Part):
    """An Ed25519 signature by the key `key_id` (published in `SigningKeyPublished`)."""

    algorithm: Literal["Ed25519"] = "Ed25519"
    key_id: str
    message_format: str
    value: str


class HandwritingRef(_Part):
    """The handwritten signature as captured, by hash: `digest` = SHA-256 of RFC 8785 of
    `{"kind": "jietiao.handwriting", "png_sha256": ..., "strokes_sha256": ...}`."""

    digest: str
    png_sha256: str
    strokes_sha256: str


class SignerCheck(_Part):
    """How the signer was authorised: the identity service's single-use ticket and its method."""

    ticket_id: uuid.UUID
    method: str
    identity_commitment: str
    intent_version: str


class SigningKeyPublished(EventPayload):
    """A party's Ed25519 public key; its private half never leaves the signing service."""

    stream_type = "signing_key"

    party_id: uuid.UUID
    key_id: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key: str  # base64 of the 32 raw bytes


class SigningOpened(EventPayload):
    """Signing's record of drafting's `NoteFrozenForSigning`: this digest may now be signed.

    `signers` are the parties whose signatures complete the note, in the order they sign.
    """

    stream_type = "note"

    note_version: int
    document_digest: str
    template: str
    initiator_party_id: uuid.UUID
    initiator_role: str
    initiator_identity_commitment: str
    counterparty_party_id: uuid.UUID
    counterparty_role: str
    counterparty_identity_commitment: str
    signers: tuple[uuid.UUID, ...]
    frozen_event_id: uuid.UUID


class SigningClosed(EventPayload):
    """Drafting amended or cancelled the note: the open version (and signatures over it) lapse."""

    stream_type = "note"

    note_version: int
    reason: SigningCloseReason
    source_event_id: uuid.UUID


class TermsLockRecorded(EventPayload):
    """Drafting locked the terms of this version: it can complete once every signer has signed."""

    stream_type = "note"

    note_version: int
    source_event_id: uuid.UUID


class PartySigned(EventPayload):
    """A party signed version `note_version` of a note, over `document_digest` (hex SHA-256)."""

    stream_type = "note"

    note_id: uuid.UUID
    note_version: int
    party_id: uuid.UUID
    role: str
    document_digest: str
    sequence: int  # 1 for the first signer
    previous_signature: str | None
    signature: DigitalSignature
    handwriting: HandwritingRef
    check: SignerCheck


class SignatureDeclined(EventPayload):
    """The party due to sign refused, with a reason: the note ends unsigned."""

    stream_type = "note"

    note_version: int
    party_id: uuid.UUID
    role: str
    document_digest: str
    reason: str


class NoteCompleted(EventPayload):
    """Every signer has signed and the terms are locked: the note shows 已完成签署.

    `final_digest` = SHA-256 of RFC 8785 of `{"kind": "jietiao.completed", "note_id",
    "note_version", "document_digest", "signatures": [values in signing order]}`.
    """

    stream_type = "note"

    note_version: int
    document_digest: str
    final_digest: str
    completed_at: AwareDatetime
    signers: tuple[uuid.UUID, ...]
    stamp_svg_sha256: str
    stamp_png_sha256: str


class VoidRequested(EventPayload):
    """A party asked to void (废止) a completed note, signing final digest ‖ reason."""

    stream_type = "note"

    void_id: uuid.UUID
    requested_by: uuid.UUID
    role: str
    reason_code: VoidReason
    reason_text: str
    final_digest: str
    expires_at: AwareDatetime
    signature: DigitalSignature
    handwriting: HandwritingRef
    check: SignerCheck


class VoidSigned(EventPayload):
    """The other party countersigned the void request."""

    stream_type = "note"

    void_id: uuid.UUID
    party_id: uuid.UUID
    role: str
    signature: DigitalSignature
    handwriting: HandwritingRef
    check: SignerCheck


class NoteVoided(EventPayload):
    """Both parties signed the void: the note is 已废止."""

    stream_type = "note"

    void_id: uuid.UUID
    final_digest: str
    reason_code: VoidReason
    voided_at: AwareDatetime


class VoidDeclined(EventPayload):
    stream_type = "note"

    void_id: uuid.UUID
    party_id: uuid.UUID
    reason: str


class VoidWithdrawn(EventPayload):
    stream_type = "note"

    void_id: uuid.UUID
    party_id: uuid.UUID


class VoidExpired(EventPayload):
    stream_type = "note"

    void_id: uuid.UUID
    expired_at: AwareDatetime


__all__ = [
    "DigitalSignature",
    "HandwritingRef",
    "NoteCompleted",
    "NoteVoided",
    "PartySigned",
    "SignatureDeclined",
    "SignerCheck",
    "SigningCloseReason",
    "SigningClosed",
    "SigningKeyPublished",
    "SigningOpened",
    "TermsLockRecorded",
    "VoidDeclined",
    "VoidExpired",
    "VoidReason",
    "VoidRequested",
    "VoidSigned",
    "VoidWithdrawn",
]
