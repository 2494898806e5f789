"""The PII vault's cryptography: AES-256-GCM with a key id per record, keyed blind indexes.

Each sealed value is `nonce (12 bytes) || ciphertext+tag`; the associated data names the table,
the column and the row, so a ciphertext moved to another row or column no longer decrypts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class KeyProvider(Protocol):
    """Where data keys come from. The settings keyring implements it; a production KMS adapter
    (Aliyun KMS, Tencent KMS, an HSM) would unwrap data keys held encrypted under its master key
    at start-up, or fetch them by `kid` and cache them, and must keep every retired key readable.
    """

    def active_kid(self) -> str: ...

    def data_key(self, kid: str) -> bytes: ...


class StaticKeyring:
    """Keys held in process memory, from `JIETIAO_IDENTITY_KEYS`; the first one encrypts."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._keys = dict(keys)
        self._active = next(iter(keys))

    def active_kid(self) -> str:
        return self._active

    def data_key(self, kid: str) -> bytes:
        try:
            return self._keys[kid]
        except KeyError:
            raise LookupError(f"vault key {kid!r} is not configured") from None


def derive_key(master: bytes, purpose: str) -> bytes:
    """One HMAC key per purpose, so an index can never be compared with a commitment."""
    return hmac.new(master, f"jietiao/identity/{purpose}".encode(), hashlib.sha256).digest()


class Vault:
    def __init__(self, keys: KeyProvider, hmac_key: bytes) -> None:
        self.keys = keys
        self._index_key = derive_key(hmac_key, "blind-index/v1")
        self._commitment_key = derive_key(hmac_key, "commitment/v1")

    def seal(self, plaintext: str, context: str, kid: str | None = None) -> tuple[str, bytes]:
        """(kid, sealed bytes); pass the `kid` of a row's other columns to keep one per row."""
        kid = kid or self.keys.active_kid()
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys.data_key(kid)).encrypt(
            nonce, plaintext.encode(), f"{kid}|{context}".encode()
        )
        return kid, nonce + sealed

    def open(self, kid: str, sealed: bytes, context: str) -> str:
        aead, aad = AESGCM(self.keys.data_key(kid)), f"{kid}|{context}".encode()
        clear = aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
        return clear.decode()

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed HMAC to find a row by an exact value without storing the value."""
        message = f"{kind}\n{value}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    def commitment(self, id_number: str, legal_name: str) -> str:
        """The identity as others see it: stable for one person, useless without our key."""
        name = unicodedata.normalize("NFKC", legal_name)
        message = f"{id_number.upper()}\n{name}".encode()
        return hmac.new(self._commitment_key, message, hashlib.sha256).hexdigest()
