"""Builders the signing tests share: handwriting, drafting's events, a note's signing stream."""

from __future__ import annotations

import base64
import io
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageDraw

from services.signing.domain import voiding
from services.signing.domain.completion import complete
from services.signing.domain.decisions import (
    check_can_sign,
    message_to_sign,
    party_signed,
    signer_facts,
)
from services.signing.domain.drafting_facts import record_drafting_event
from services.signing.domain.handwriting import Handwriting, Point, validated_handwriting
from services.signing.domain.keys import b64
from services.signing.domain.messages import SIGN_FORMAT, VOID_FORMAT, void_message
from services.signing.domain.signatures import signer_check
from services.signing.domain.state import NoteSigning, evolve
from shared.catalogue.drafting import (
    IouTerms,
    NoteCancelled,
    NoteFrozenForSigning,
    NoteTermsAmended,
    NoteTermsLocked,
)
from shared.catalogue.signing import (
    DigitalSignature,
    SignerCheck,
    SigningKeyPublished,
    VoidReason,
)
from shared.events import Envelope, EventPayload, digest

T0 = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)


def stroke_points(n: int = 40, width: float = 200.0, height: float = 60.0) -> list[Point]:
    """A wavy stroke across the canvas, one point every 15 ms."""
    return [(10 + width * i / (n - 1), 50 + height / 2 * math.sin(i / 3), i * 15) for i in range(n)]


def handwriting_png(
    points: Sequence[Point] | None = None, size: tuple[int, int] = (240, 120)
) -> bytes:
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(x, y) for x, y, _ in (points or stroke_points())], fill=(0, 0, 0, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def handwriting() -> Handwriting:
    points = stroke_points()
    return validated_handwriting([points], handwriting_png(points))


def handwriting_input() -> dict[str, Any]:
    points = stroke_points()
    return {
        "strokes": [[list(p) for p in points]],
        "png_base64": base64.b64encode(handwriting_png(points)).decode(),
    }


ROLES = {
    "iou": ("lender", "borrower"),
    "receipt": ("payee", "payer"),
    "contract": ("party_a", "party_b"),
}


@dataclass
class Note:
    """A note as drafting would publish it, and helpers to fold signing's stream of it."""

    template: str = "iou"
    initiator_role: str | None = None
    note_id: uuid.UUID = field(default_factory=uuid.uuid4)
    initiator: uuid.UUID = field(default_factory=uuid.uuid4)
    counterparty: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 1
    terms: str = "今借到人民币壹万元整"

    @property
    def roles(self) -> tuple[str, str]:
        first, second = ROLES[self.template]
        if self.initiator_role in (None, first):
            return first, second
        return second, first

    def document(self) -> dict[str, Any]:
        initiator_role, counterparty_role = self.roles
        return {
            "kind": "jietiao.note",
            "format": 1,
            "note_id": str(self.note_id),
            "note_version": self.version,
            "template": {"kind": self.template, "version": f"{self.template}-1", "text": "…"},
            "initiator": {
                "party_id": str(self.initiator),
                "role": initiator_role,
                "identity_commitment": commitment(self.initiator),
            },
            "counterparty": {"role": counterparty_role, "contact_commitment": "c" * 64},
            "terms": {"text": self.terms, "principal": "10000.00"},
        }

    @property
    def digest(self) -> str:
        return digest(self.document()).hex()

    def frozen(self) -> NoteFrozenForSigning:
        return NoteFrozenForSigning(
            note_version=self.version,
            document_digest=self.digest,
            document=self.document(),
            initiator_party_id=self.initiator,
            counterparty_party_id=self.counterparty,
            counterparty_identity_commitment=commitment(self.counterparty),
        )

    def amended(self) -> NoteTermsAmended:
        self.version += 1
        self.terms += "（修改）"
        terms = IouTerms.model_validate(
            {
                "initiator_role": "lender",
                "principal": "10000.00",
                "purpose": "装修",
                "start_date": "2026-03-01",
                "due_date": "2026-09-01",
                "repayment_method": "bullet",
                "delivery_method": "bank_transfer",
            }
        )
        return NoteTermsAmended(note_version=self.version, terms=terms)

    def locked(self, by: uuid.UUID | None = None) -> NoteTermsLocked:
        return NoteTermsLocked(
            note_version=self.version,
            signed_by=by or self.initiator,
            signature_event_id=uuid.uuid4(),
        )

    def cancelled(self) -> NoteCancelled:
        return NoteCancelled(cancelled_by=self.initiator)


def commitment(party_id: uuid.UUID) -> str:
    return digest({"commitment-of": str(party_id)}).hex()


def envelope(
    stream_id: uuid.UUID, version: int, payload: EventPayload, at: datetime = T0
) -> Envelope:
    return Envelope.new(
        payload,
        stream_id=stream_id,
        version=version,
        correlation_id=uuid.uuid4(),
        actor="test",
        occurred_at=at,
    )


@dataclass
class Stream:
    """Signing's stream of one note, as the service would build it, without a database."""

    note_id: uuid.UUID
    events: list[Envelope] = field(default_factory=list)

    @property
    def state(self) -> NoteSigning:
        return evolve(NoteSigning(self.note_id), self.events)

    def add(self, *payloads: EventPayload, at: datetime = T0) -> NoteSigning:
        for payload in payloads:
            self.events.append(envelope(self.note_id, len(self.events) + 1, payload, at))
        return self.state

    def drafting(self, payload: EventPayload) -> NoteSigning:
        source = envelope(self.note_id, 1, payload)
        self.add(*record_drafting_event(self.state, source))
        return complete_if_ready(self)


def later(days: float) -> datetime:
    return T0 + timedelta(days=days)


class Signer:
    """A party with an Ed25519 key of its own, signing as the service would for it."""

    def __init__(self, party_id: uuid.UUID) -> None:
        self.party_id = party_id
        self.key = Ed25519PrivateKey.generate()
        self.key_id = f"sk-{party_id.hex[:12]}"
        self.handwriting = handwriting()

    def published(self) -> SigningKeyPublished:
        raw = self.key.public_key().public_bytes_raw()
        return SigningKeyPublished(party_id=self.party_id, key_id=self.key_id, public_key=b64(raw))

    def signature(self, message: bytes, fmt: str) -> DigitalSignature:
        return DigitalSignature(
            key_id=self.key_id, message_format=fmt, value=b64(self.key.sign(message))
        )

    def check(self, state: NoteSigning) -> SignerCheck:
        """As if identity had just redeemed a fresh face-checked ticket of this signer."""
        return signer_check(state, self.party_id, uuid.uuid4(), "face")


def sign(stream: Stream, signer: Signer, *, at: datetime = T0, intent: bool = True) -> NoteSigning:
    """The signer signs the open version; the note completes if that was the last thing missing."""
    state = stream.state
    assert state.opened is not None
    check_can_sign(state, signer.party_id, state.opened.document_digest, intent)
    ref = signer.handwriting.ref
    facts = signer_facts(state, signer.party_id, ref, signer.check(state))
    signature = signer.signature(message_to_sign(state, facts), SIGN_FORMAT)
    stream.add(party_signed(state, facts, ref, signature), at=at)
    return complete_if_ready(stream, at)


def complete_if_ready(stream: Stream, at: datetime = T0) -> NoteSigning:
    if stream.state.ready_to_complete():
        stream.add(complete(stream.state, at, "a" * 64, "b" * 64), at=at)
    return stream.state


def request_void(
    stream: Stream, signer: Signer, code: VoidReason = "settled", text: str = "", at: datetime = T0
) -> uuid.UUID:
    state = stream.state
    text = voiding.check_can_request(state, signer.party_id, code, text, True)
    ref = signer.handwriting.ref
    facts = voiding.requester_facts(state, signer.party_id, ref, signer.check(state))
    void_id = uuid.uuid4()
    void = voiding.void_facts(state, void_id, code, text, at + voiding.DEFAULT_VOID_TTL)
    signature = signer.signature(void_message(void, facts), VOID_FORMAT)
    stream.add(voiding.void_requested(state, void, facts, ref, signature), at=at)
    return void_id


def sign_void(stream: Stream, signer: Signer, void_id: uuid.UUID, at: datetime = T0) -> NoteSigning:
    state = stream.state
    void = voiding.check_can_answer(state, signer.party_id, void_id, at)
    ref = signer.handwriting.ref
    facts = voiding.countersigner_facts(state, signer.party_id, void, ref, signer.check(state))
    message = void_message(voiding.open_void_facts(state, void), facts)
    signature = signer.signature(message, VOID_FORMAT)
    return stream.add(*voiding.void_signed(state, void, facts, ref, signature, at), at=at)


def completed_iou() -> tuple[Note, Stream, Signer, Signer]:
    note = Note()
    stream = Stream(note.note_id)
    initiator, counterparty = Signer(note.initiator), Signer(note.counterparty)
    stream.drafting(note.frozen())
    sign(stream, initiator)
    stream.drafting(note.locked())
    sign(stream, counterparty)
    return note, stream, initiator, counterparty
