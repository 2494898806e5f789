"""AES-256-GCM sealing under the signing vault keys (`JIETIAO_SIGNING_KEYS`)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class Vault:
    def __init__(self, keys: Mapping[str, bytes]) -> None:
        if not keys:
            raise ValueError("the signing vault needs at least one key")
        self.keys = dict(keys)

    @property
    def active_kid(self) -> str:
        return next(iter(self.keys))

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_kid]

    def seal(self, plaintext: bytes, aad: bytes) -> tuple[str, bytes, bytes]:
        nonce = os.urandom(12)
        return self.active_kid, nonce, AESGCM(self.active_key).encrypt(nonce, plaintext, aad)

    def open(self, sealed: tuple[str, bytes, bytes], aad: bytes) -> bytes:
        kid, nonce, ciphertext = sealed
        return AESGCM(self.keys[kid]).decrypt(nonce, ciphertext, aad)
