"""The envelope, canonical bytes and upcasting: pure, no servers."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from shared.events import Envelope, UnknownEventTypeError, canonical_bytes, upcast
from tests.shared.sample_events import SampleDeposited, SampleOpened, SampleRenamed, sample_event


def test_envelope_is_immutable() -> None:
    event = sample_event()
    with pytest.raises(ValidationError):
        event.version = 2  # type: ignore[misc]


def test_payload_is_typed_by_event_type() -> None:
    doc = sample_event(amount="12.34").document()
    parsed = Envelope.from_document(doc)
    assert isinstance(parsed.payload, SampleDeposited)
    assert parsed.payload.amount == Decimal("12.34")


def test_payload_of_another_type_is_refused() -> None:
    doc = sample_event().document()
    doc["event_type"] = "SampleOpened"
    with pytest.raises(ValidationError):
        Envelope.from_document(doc)


def test_unknown_event_type_is_refused() -> None:
    doc = sample_event().document()
    doc["event_type"] = "NeverHeardOf"
    with pytest.raises(UnknownEventTypeError):
        Envelope.from_document(doc)


def test_extra_payload_field_is_refused() -> None:
    doc = sample_event().document()
    doc["payload"]["surprise"] = 1
    with pytest.raises(ValidationError):
        Envelope.from_document(doc)


def test_naive_time_is_refused_and_aware_time_is_stored_in_utc() -> None:
    shanghai = timezone(timedelta(hours=8))
    event = Envelope.new(
        SampleOpened(owner="x"),
        stream_id=uuid.uuid4(),
        version=1,
        correlation_id=uuid.uuid4(),
        actor="test",
        occurred_at=datetime(2026, 1, 1, 8, 0, tzinfo=shanghai),
    )
    assert event.occurred_at == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert event.document()["occurred_at"] == "2026-01-01T00:00:00Z"
    with pytest.raises(ValidationError):
        Envelope.model_validate({**event.document(), "occurred_at": "2026-01-01T00:00:00"})


def test_canonical_bytes_are_rfc8785() -> None:
    # Keys sorted, no whitespace, numbers in shortest form, non-ASCII kept as UTF-8.
    assert canonical_bytes({"b": 1, "a": [1.5, "借条"], "c": {"z": None, "y": True}}) == (
        '{"a":[1.5,"借条"],"b":1,"c":{"y":true,"z":null}}'.encode()
    )


def test_canonical_bytes_survive_a_json_round_trip() -> None:
    event = sample_event(amount="100000.00")
    reparsed = Envelope.from_document(json.loads(event.canonical_bytes()))
    assert reparsed.canonical_bytes() == event.canonical_bytes()
    assert reparsed.digest() == hashlib.sha256(event.canonical_bytes()).digest()


def test_money_is_carried_as_a_decimal_string() -> None:
    assert sample_event(amount="0.10").document()["payload"] == {"amount": "0.10"}


def test_upcasting_runs_before_validation_and_leaves_the_source_alone() -> None:
    stored = {
        **sample_event().document(),
        "event_type": "SampleRenamed",
        "schema_version": 1,
        "payload": {"name": "张 三"},
    }
    parsed = Envelope.from_document(stored)
    assert parsed.schema_version == 2
    assert parsed.payload == SampleRenamed(family_name="张", given_name="三")
    assert stored["payload"] == {"name": "张 三"}
    assert upcast(stored)["schema_version"] == 2


def test_an_old_version_without_upcasting_is_refused() -> None:
    stored = {
        **sample_event().document(),
        "event_type": "SampleRenamed",
        "schema_version": 1,
        "payload": {"family_name": "张", "given_name": "三"},
    }
    with pytest.raises(ValidationError):
        Envelope.model_validate(stored)
