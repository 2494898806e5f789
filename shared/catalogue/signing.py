"""Events published by the signing service.

Only `PartySigned` is here for now, with the fields the drafting service needs to lock a note's
terms; the signing service owns this module and will extend it (signature bytes, certificates,
countersignature links) in later schema versions.
"""

from __future__ import annotations

import uuid

from shared.events import EventPayload


class PartySigned(EventPayload):
    """A party signed version `note_version` of a note, over `document_digest` (hex SHA-256)."""

    stream_type = "note"

    note_id: uuid.UUID
    note_version: int
    party_id: uuid.UUID
    role: str
    document_digest: str
