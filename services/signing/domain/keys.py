"""Parties' Ed25519 signing keys: generation, sealing under the vault key, and signing.

A private key exists in clear only inside `sign_with`, which demands the `Authorisation`
that only a redeemed identity ticket for that party produces (E-Signature Law art. 13: the
signature-creation data is controlled by the signer alone). At rest it is AES-256-GCM
ciphertext whose associated data binds it to its party and key id, so a row copied onto
another party does not decrypt.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared.catalogue.signing import DigitalSignature


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@dataclass(frozen=True)
class SealedKey:
    """A party's key pair as stored: the public half in clear, the private half sealed."""

    party_id: uuid.UUID
    key_id: str
    public_key: bytes
    vault_kid: str
    nonce: bytes
    ciphertext: bytes


@dataclass(frozen=True)
class Authorisation:
    """Proof that the party just redeemed a single-use identity ticket for this operation."""

    party_id: uuid.UUID
    ticket_id: uuid.UUID
    method: str


def _aad(party_id: uuid.UUID, key_id: str) -> bytes:
    return f"jietiao.signing-key:{party_id}:{key_id}".encode()


def new_sealed_key(party_id: uuid.UUID, vault_kid: str, vault_key: bytes) -> SealedKey:
    private = Ed25519PrivateKey.generate()
    key_id = f"sk-{uuid.uuid4().hex[:16]}"
    nonce = os.urandom(12)
    raw = private.private_bytes_raw()
    ciphertext = AESGCM(vault_key).encrypt(nonce, raw, _aad(party_id, key_id))
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return SealedKey(party_id, key_id, public, vault_kid, nonce, ciphertext)


class KeyUseRefused(Exception):  # noqa: N818 - a refusal, not a fault
    """The key was asked to sign without its owner's authorisation."""


def sign_with(
    sealed: SealedKey,
    authorisation: Authorisation,
    message: bytes,
    vault: Mapping[str, bytes],
    message_format: str,
) -> DigitalSignature:
    if authorisation.party_id != sealed.party_id:
        raise KeyUseRefused("a party's key signs only under that party's own ticket")
    raw = AESGCM(vault[sealed.vault_kid]).decrypt(
        sealed.nonce, sealed.ciphertext, _aad(sealed.party_id, sealed.key_id)
    )
    value = Ed25519PrivateKey.from_private_bytes(raw).sign(message)
    return DigitalSignature(key_id=sealed.key_id, message_format=message_format, value=b64(value))


def public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)
