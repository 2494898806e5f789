"""C2SP signed-note with Ed25519: sign, open and the Go-style key strings (`golang.org/x/mod`).

A note is its text (lines ending in `\\n`), a blank line, then one `— <name> <base64(id ‖ sig)>`
line per signature. Opening follows the spec's rules: signatures by unknown keys are ignored, a
known key whose signature fails rejects the whole note, and a note no known key verifies is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
MAX_SIGNATURES = 100
_DASH = "\u2014 "


class NoteError(ValueError):
    """A note, key or signature that is malformed or does not verify."""


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name) or not name.isprintable():
        raise NoteError(f"bad key name {name!r}")


@dataclass(frozen=True)
class Verifier:
    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    seed: bytes

    @property
    def verifier(self) -> Verifier:
        public = self._private().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return Verifier(self.name, public)

    def _private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    def skey(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{encoded}"

    def sign(self, message: bytes) -> bytes:
        return self._private().sign(message)


def _key_parts(name: str, hex_id: str, encoded: str) -> tuple[bytes, bytes]:
    _check_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
        wanted = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as error:
        raise NoteError("key is not hex and base64") from error
    if len(hex_id) != 8 or len(raw) != 33 or raw[0] != ED25519:
        raise NoteError("not an Ed25519 key")
    return wanted, raw[1:]


def parse_vkey(vkey: str) -> Verifier:
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise NoteError("a verifier key is name+id+key")
    wanted, public = _key_parts(*parts)
    verifier = Verifier(parts[0], public)
    if verifier.key_id != wanted:
        raise NoteError("verifier key id does not match its key")
    return verifier


def parse_skey(skey: str) -> Signer:
    parts = skey.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("a signer key is PRIVATE+KEY+name+id+key")
    wanted, seed = _key_parts(*parts[2:])
    signer = Signer(parts[2], seed)
    if signer.verifier.key_id != wanted:
        raise NoteError("signer key id does not match its key")
    return signer


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{_DASH}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n") or any(c < " " and c != "\n" for c in text):
        raise NoteError("note text must be lines ending in a newline, without control characters")


def sign_note(text: str, signers: Iterable[Signer]) -> str:
    _check_text(text)
    message = text.encode()
    lines = [Signature(s.name, s.verifier.key_id, s.sign(message)).line() for s in signers]
    if not lines:
        raise NoteError("a note needs at least one signer")
    return text + "\n" + "".join(lines)


def _parse_signature(line: str) -> Signature:
    if not line.startswith(_DASH):
        raise NoteError("signature line does not start with an em dash")
    name, _, encoded = line[len(_DASH) :].partition(" ")
    _check_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise NoteError("signature is not base64") from error
    if len(raw) < 5 or base64.b64encode(raw).decode() != encoded:
        raise NoteError("signature is too short or not canonical base64")
    return Signature(name, raw[:4], raw[4:])


def split_note(note: str) -> tuple[str, list[Signature]]:
    """The signed text and the signature lines, parsed but not verified."""
    if not note.endswith("\n") or any(c < " " and c != "\n" for c in note):
        raise NoteError("malformed note")
    head, sep, block = note[:-1].rpartition("\n\n")
    if not sep or not head:
        raise NoteError("note has no signature block")
    signatures = [_parse_signature(line) for line in block.split("\n")]
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    return head + "\n", signatures


def open_note(note: str, verifiers: Iterable[Verifier]) -> tuple[str, list[Verifier]]:
    """The text and the known keys that signed it; raises `NoteError` unless one verifies."""
    text, signatures = split_note(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    message, good = text.encode(), []
    for signature in signatures:
        verifier = known.get((signature.name, signature.key_id))
        if verifier is None:
            continue
        if not verifier.verify(message, signature.signature):
            raise NoteError(f"signature by {signature.name} does not verify")
        good.append(verifier)
    if not good:
        raise NoteError("no known key signed this note")
    return text, good
