"""Event types used only by the kernel's tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from shared.events import Envelope, EventPayload, JsonDoc, upcaster


class SampleOpened(EventPayload):
    stream_type = "sample"
    owner: str


class SampleDeposited(EventPayload):
    stream_type = "sample"
    amount: Decimal


class SampleRenamed(EventPayload):
    """At v1 it carried `name`; v2 split it into `family_name` and `given_name`."""

    stream_type = "sample"
    schema_version = 2
    family_name: str
    given_name: str


@upcaster("SampleRenamed", 1)
def _split_name(payload: JsonDoc) -> JsonDoc:
    family, _, given = payload.pop("name").partition(" ")
    return {**payload, "family_name": family, "given_name": given}


def sample_event(
    stream_id: uuid.UUID | None = None,
    version: int = 1,
    amount: str = "1.00",
    payload: EventPayload | None = None,
) -> Envelope:
    return Envelope.new(
        payload or SampleDeposited(amount=Decimal(amount)),
        stream_id=stream_id or uuid.uuid4(),
        version=version,
        correlation_id=uuid.uuid4(),
        actor="test",
        occurred_at=datetime.now(UTC),
    )
