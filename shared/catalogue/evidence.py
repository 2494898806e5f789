"""Events published by the evidence service.

They live in one stream per log (`stream_type = "log"`, stream id derived from the log's origin),
in the order the log appended them.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from shared.events import EventPayload, JsonDoc, upcaster

_HASH_HEX = r"^[0-9a-f]{64}$"


class AnchoredEvent(BaseModel):
    """One event of another service and the leaf the log gave it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID
    source: str = Field(min_length=1)
    anchored_stream_id: uuid.UUID
    anchored_event_type: str = Field(min_length=1)
    leaf_index: int = Field(ge=0)
    leaf_hash: str = Field(pattern=_HASH_HEX)


class EvidenceAnchored(EventPayload):
    """Events of other services now have their leaves in the log (their receipts can be
    fetched): announced per batch the log commits, at most 100 events to an announcement."""

    # v2, not one announcement per event: each announcement is an event too, relayed and
    # anchored in turn, so announcing per event doubled the log's leaves and the bus's messages.
    stream_type = "log"
    schema_version = 2
    anchored: list[AnchoredEvent] = Field(min_length=1)


@upcaster("EvidenceAnchored", 1)
def _one_per_batch(payload: JsonDoc) -> JsonDoc:
    return {"anchored": [payload]}


class CheckpointPublished(EventPayload):
    """The log signed a checkpoint; `note` is the C2SP signed note, verbatim."""

    stream_type = "log"
    origin: str = Field(min_length=1)
    tree_size: int = Field(ge=0)
    root_hash: str = Field(pattern=_HASH_HEX)
    key_ids: list[str]
    note: str = Field(min_length=1)
