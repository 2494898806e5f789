"""What the log accepts off the bus: canonical events only, and never loses one over an index."""

from __future__ import annotations

import uuid

import pytest

from services.evidence.messages import MalformedEventError, parse_message
from shared.events import canonical_bytes


def doc(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "event_type": "NoteDrafted",
        "stream_id": str(uuid.uuid4()),
        "version": 1,
        "payload": {"note_id": str(uuid.uuid4())},
    }
    return {**base, **changes}


def test_a_canonical_event_gives_the_leaf_fields_and_keeps_its_bytes() -> None:
    event = doc()
    parsed = parse_message("drafting", canonical_bytes(event))
    assert (parsed.event_id, parsed.stream_id, parsed.version) == (
        event["event_id"],
        event["stream_id"],
        1,
    )
    assert parsed.note_id == event["payload"]["note_id"]  # type: ignore[index]
    assert parsed.event_bytes == canonical_bytes(event)


def test_an_unreadable_note_id_only_drops_the_index() -> None:
    parsed = parse_message("drafting", canonical_bytes(doc(payload={"note_id": "NOTE-7"})))
    assert parsed.note_id is None


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"version": 1, "event_type": "X"}',
        canonical_bytes(doc(event_id="not-a-uuid")),
        canonical_bytes(doc(event_id=str(uuid.uuid4()).upper())),
        canonical_bytes(doc(version=0)),
        canonical_bytes(doc(event_type="has space")),
        canonical_bytes(doc()).replace(b'{"event_id"', b'{ "event_id"'),
    ],
)
def test_malformed_or_non_canonical_messages_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedEventError):
        parse_message("drafting", body)
