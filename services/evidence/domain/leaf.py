"""The log entry of one event: a salted commitment, never a bare hash of low-entropy fields.

The entry is the RFC 8785 (JCS) encoding of a flat object of ASCII strings and small integers;
for such objects JCS is exactly `json.dumps(sort_keys=True, separators=(",", ":"))`, so the offline
verifier needs only the standard library to rebuild it. The leaf hash is RFC 6962's over it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass

from services.evidence.domain.merkle import leaf_hash

SALT_SIZE = 32
_ATOM = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces: keeps JCS trivial


def commitment(salt: bytes, event_bytes: bytes) -> bytes:
    """SHA-256(salt ‖ canonical event bytes): binds the event without revealing it."""
    if len(salt) != SALT_SIZE:
        raise ValueError("salt must be 32 bytes")
    return hashlib.sha256(salt + event_bytes).digest()


@dataclass(frozen=True)
class LeafEntry:
    origin: str
    source: str
    event_id: str
    event_type: str
    stream_id: str
    version: int
    received_at: str
    commitment: bytes

    def __post_init__(self) -> None:
        texts = (self.origin, self.source, self.event_id, self.event_type, self.stream_id)
        if not all(_ATOM.match(t) for t in (*texts, self.received_at)):
            raise ValueError("leaf fields must be printable ASCII without spaces")
        if not 0 < self.version < 2**31 or len(self.commitment) != 32:
            raise ValueError("bad version or commitment")

    def fields(self) -> dict[str, str | int]:
        return {
            "commitment": base64.b64encode(self.commitment).decode(),
            "event_id": self.event_id,
            "event_type": self.event_type,
            "origin": self.origin,
            "received_at": self.received_at,
            "source": self.source,
            "stream_id": self.stream_id,
            "version": self.version,
        }

    def encode(self) -> bytes:
        return json.dumps(self.fields(), sort_keys=True, separators=(",", ":")).encode()

    def leaf_hash(self) -> bytes:
        return leaf_hash(self.encode())


def decode_entry(entry: bytes) -> LeafEntry:
    """The entry's fields, refusing anything that is not exactly what `encode` writes."""
    fields = json.loads(entry)
    parsed = LeafEntry(
        origin=fields["origin"],
        source=fields["source"],
        event_id=fields["event_id"],
        event_type=fields["event_type"],
        stream_id=fields["stream_id"],
        version=fields["version"],
        received_at=fields["received_at"],
        commitment=base64.b64decode(fields["commitment"], validate=True),
    )
    if parsed.encode() != entry:
        raise ValueError("entry is not in canonical form")
    return parsed


CHAIN_START = bytes(32)


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    """Each entry's link covers the one before: order is checkable from the entries alone."""
    return hashlib.sha256(b"jietiao-evidence-chain/v1\n" + previous + leaf).digest()
