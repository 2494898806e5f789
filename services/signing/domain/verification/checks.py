"""The checks every verified signature goes through, and where their problems are noted."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from cryptography.exceptions import InvalidSignature

from services.signing.domain.handwriting import handwriting_digest
from services.signing.domain.keys import public_key, unb64
from shared.catalogue.signing import DigitalSignature, HandwritingRef, SigningKeyPublished
from shared.events import Envelope

T = TypeVar("T")


@dataclass
class Verdict:
    """What verification found: no problems means every signature present verifies."""

    problems: list[str] = field(default_factory=list)
    signers: list[uuid.UUID] = field(default_factory=list)
    completed: bool = False
    voided: bool = False

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Keys:
    public: dict[str, bytes]
    owner: dict[str, uuid.UUID]

    @classmethod
    def of(cls, events: Sequence[Envelope], extra: Mapping[str, bytes]) -> Keys:
        published = [p for _, p in payloads(events, SigningKeyPublished)]
        return cls(
            {**extra, **{k.key_id: unb64(k.public_key) for k in published}},
            {k.key_id: k.party_id for k in published},
        )


def payloads(events: Sequence[Envelope], kind: type[T]) -> list[tuple[Envelope, T]]:
    return [(e, e.payload) for e in events if isinstance(e.payload, kind)]


def check_signature(
    keys: Keys,
    party_id: uuid.UUID,
    signature: DigitalSignature,
    message: tuple[str, bytes],
    verdict: Verdict,
) -> None:
    """`message` is the format the signature must claim and the bytes it must cover."""
    message_format, signed_bytes = message
    if (signature.algorithm, signature.message_format) != ("Ed25519", message_format):
        verdict.problems.append(f"signature of party {party_id} claims another kind of message")
    key = keys.public.get(signature.key_id)
    if key is None or keys.owner.get(signature.key_id, party_id) != party_id:
        verdict.problems.append(f"no published key {signature.key_id} of party {party_id}")
        return
    try:
        public_key(key).verify(unb64(signature.value), signed_bytes)
    except (InvalidSignature, ValueError):
        verdict.problems.append(f"signature of party {party_id} does not verify")


def check_handwriting(ref: HandwritingRef, party_id: uuid.UUID, verdict: Verdict) -> None:
    if handwriting_digest(ref.png_sha256, ref.strokes_sha256) != ref.digest:
        verdict.problems.append(f"handwriting digest of party {party_id} does not match its parts")
