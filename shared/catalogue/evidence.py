"""Events published by the evidence service.

They live in one stream per log (`stream_type = "log"`, stream id derived from the log's origin),
in the order the log appended them.
"""

from __future__ import annotations

import uuid

from pydantic import Field

from shared.events import EventPayload

_HASH_HEX = r"^[0-9a-f]{64}$"


class EvidenceAnchored(EventPayload):
    """An event of another service now has its leaf in the log (its receipt can be fetched)."""

    stream_type = "log"
    event_id: uuid.UUID
    source: str = Field(min_length=1)
    anchored_stream_id: uuid.UUID
    anchored_event_type: str = Field(min_length=1)
    leaf_index: int = Field(ge=0)
    leaf_hash: str = Field(pattern=_HASH_HEX)


class CheckpointPublished(EventPayload):
    """The log signed a checkpoint; `note` is the C2SP signed note, verbatim."""

    stream_type = "log"
    origin: str = Field(min_length=1)
    tree_size: int = Field(ge=0)
    root_hash: str = Field(pattern=_HASH_HEX)
    key_ids: list[str]
    note: str = Field(min_length=1)
