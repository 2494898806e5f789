"""The log's announcements: one per batch since v2; a stored v1 announcement still reads."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from shared.catalogue.evidence import AnchoredEvent, EvidenceAnchored
from shared.events import Envelope


def one_event() -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "source": "drafting",
        "anchored_stream_id": str(uuid.uuid4()),
        "anchored_event_type": "NoteDrafted",
        "leaf_index": 7,
        "leaf_hash": "ab" * 32,
    }


def test_a_v1_announcement_reads_as_a_batch_of_its_one_event() -> None:
    v1 = one_event()
    current = Envelope.new(
        EvidenceAnchored(anchored=[AnchoredEvent.model_validate(v1)]),
        stream_id=uuid.uuid4(),
        version=1,
        correlation_id=uuid.uuid4(),
        actor="evidence",
    )
    stored = {**current.document(), "schema_version": 1, "payload": v1}
    parsed = Envelope.from_document(stored)
    assert parsed.schema_version == 2
    assert parsed.payload == current.payload


def test_an_announcement_names_at_least_one_event() -> None:
    with pytest.raises(ValidationError):
        EvidenceAnchored(anchored=[])
