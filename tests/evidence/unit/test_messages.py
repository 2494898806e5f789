"""What the log accepts off the bus: canonical events only, and never loses one over an index."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.evidence.messages import MalformedEventError, _is_canonical, parse_message
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


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(max_size=8)
    | st.floats(-1e15, 1e15, allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=6), _JSON, max_size=5))
def test_the_fast_canonical_check_agrees_with_rfc_8785(doc: dict[str, object]) -> None:
    body = canonical_bytes(doc)
    assert _is_canonical(body) == json.loads(body)
    loose = json.dumps(doc, ensure_ascii=True).encode()
    if loose != body:
        assert _is_canonical(loose) is None
