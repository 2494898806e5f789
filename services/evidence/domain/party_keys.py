"""The parties' published Ed25519 keys, and the two checks every party signature goes through."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.evidence.domain.jcs import digest_hex
from services.evidence.domain.party_events import CannotCheckError, Handwriting, Key, Signature
from services.evidence.domain.party_reading import payloads


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@dataclass(frozen=True)
class Keys:
    public: dict[str, bytes]
    owner: dict[str, str]

    @classmethod
    def of(cls, events: Sequence[Mapping[str, Any]]) -> Keys:
        published = payloads(events, "SigningKeyPublished", Key)
        try:
            public = {k.key_id: _unb64(k.public_key) for k in published}
        except binascii.Error as error:
            raise CannotCheckError("a published key is not base64") from error
        return cls(public, {k.key_id: k.party_id for k in published})


def check_signature(
    keys: Keys, party_id: str, signature: Signature, message: tuple[str, bytes]
) -> list[str]:
    """The problems with `signature` over `message` (the format it must claim, the bytes)."""
    message_format, signed_bytes = message
    problems = []
    if (signature.algorithm, signature.message_format) != ("Ed25519", message_format):
        problems.append(f"signature of party {party_id} claims another kind of message")
    key = keys.public.get(signature.key_id)
    if key is None or keys.owner.get(signature.key_id, party_id) != party_id:
        return [*problems, f"no published key {signature.key_id} of party {party_id}"]
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(_unb64(signature.value), signed_bytes)
    except (InvalidSignature, ValueError):
        problems.append(f"signature of party {party_id} does not verify")
    return problems


def check_handwriting(ref: Handwriting, party_id: str) -> list[str]:
    document = {
        "kind": "jietiao.handwriting",
        "png_sha256": ref.png_sha256,
        "strokes_sha256": ref.strokes_sha256,
    }
    if digest_hex(document) != ref.digest:
        return [f"handwriting digest of party {party_id} does not match its parts"]
    return []
