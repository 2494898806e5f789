"""AES-256-GCM encryption of the counterparty contacts the initiator types."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


@dataclass(frozen=True)
class Contact:
    display_name: str
    phone: str
    salt: bytes  # the commitment's salt, secret like the rest


@dataclass(frozen=True)
class SealedContact:
    key_id: str
    nonce: bytes
    ciphertext: bytes


class ContactVault:
    def __init__(self, key: bytes, key_id: str) -> None:
        self._aead = AESGCM(key)
        self.key_id = key_id

    @staticmethod
    def _bound_to(note_id: uuid.UUID, commitment: str) -> bytes:
        # Binding the ciphertext to its row: a contact copied onto another note will not open.
        return f"{note_id}:{commitment}".encode()

    def seal(self, note_id: uuid.UUID, commitment: str, contact: Contact) -> SealedContact:
        nonce = os.urandom(12)
        plain = json.dumps(
            {
                "display_name": contact.display_name,
                "phone": contact.phone,
                "salt": contact.salt.hex(),
            }
        ).encode()
        sealed = self._aead.encrypt(nonce, plain, self._bound_to(note_id, commitment))
        return SealedContact(self.key_id, nonce, sealed)

    def open(self, note_id: uuid.UUID, commitment: str, sealed: SealedContact) -> Contact:
        plain = self._aead.decrypt(
            sealed.nonce, sealed.ciphertext, self._bound_to(note_id, commitment)
        )
        fields = json.loads(plain)
        return Contact(fields["display_name"], fields["phone"], bytes.fromhex(fields["salt"]))
