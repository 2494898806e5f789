"""The audit's shortcuts give exactly what the long way gives: entries, canonical bytes, stream
copies, version order, raw stream replies."""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evidence.audit.canonical import canonical_of, decode_json
from services.evidence.audit.entries import _ENTRY, EntryFacts, entry_facts
from services.evidence.audit.load import _stored_event
from services.evidence.audit.store_checks import (
    ServiceData,
    StoredEvent,
    _check_sequence,
    published_documents,
)
from services.evidence.audit.stream import status_code, stream_sequence
from services.evidence.domain.leaf import LeafEntry, decode_entry
from services.evidence.store import _LEAF_COLUMNS, StoredLeaf
from shared.events import canonical_bytes

REFUSED = (ValueError, KeyError, TypeError)  # what check_leaves takes for a changed entry


def _outcome(decode: Callable[[bytes], Any], entry: bytes) -> EntryFacts | str:
    try:
        e = decode(entry)
    except REFUSED:
        return "refused"
    return EntryFacts(e.event_id, e.stream_id, e.version, e.commitment)


def assert_entry_read_alike(entry: bytes) -> None:
    assert _outcome(entry_facts, entry) == _outcome(decode_entry, entry), entry


atoms = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(atoms, min_size=6, max_size=6),
    version=st.integers(min_value=1, max_value=2**31 - 1),
    commitment=st.binary(min_size=32, max_size=32),
)
def test_an_entry_is_read_as_decode_entry_reads_it(
    texts: list[str], version: int, commitment: bytes
) -> None:
    origin, source, event_id, event_type, stream_id, received_at = texts
    entry = LeafEntry(
        origin, source, event_id, event_type, stream_id, version, received_at, commitment
    ).encode()
    assert_entry_read_alike(entry)
    assert entry_facts(entry) == EntryFacts(event_id, stream_id, version, commitment)


def _entry(**changes: Any) -> dict[str, Any]:
    fields = LeafEntry(
        "example.com/log",
        "drafting",
        str(uuid.uuid4()),
        "NoteDrafted",
        str(uuid.uuid4()),
        3,
        "2026-01-01T00:00:00Z",
        bytes(range(32)),
    ).fields()
    return {**fields, **changes}


def _dumps(fields: Any, **options: Any) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), **options).encode()


def test_the_entries_the_log_writes_take_the_pattern() -> None:
    assert _ENTRY.fullmatch(_dumps(_entry()))
    assert not _ENTRY.fullmatch(_dumps(_entry(event_id='a"b')))  # decode_entry decides


@pytest.mark.parametrize(
    "entry",
    [
        _dumps(_entry()),
        _dumps(_entry(), ensure_ascii=False),
        json.dumps(_entry(), sort_keys=True).encode(),  # spaces
        json.dumps(_entry(), separators=(",", ":")).encode(),  # unsorted
        _dumps(_entry(version=0)),
        _dumps(_entry(version=2**31 - 1)),
        _dumps(_entry(version=2**31)),
        _dumps(_entry(version=True)),
        _dumps(_entry(version="3")),
        _dumps(_entry(version=3.0)),
        _dumps(_entry(event_id='a"b')),
        _dumps(_entry(event_id="a\\b")),
        _dumps(_entry(event_id="a b")),
        _dumps(_entry(event_id="abc\n")),
        _dumps(_entry(event_id="")),
        _dumps(_entry(event_id="x" * 200)),
        _dumps(_entry(event_id="x" * 201)),
        _dumps(_entry(source="dr\u00e4fting")),
        _dumps(_entry(commitment=base64.b64encode(bytes(31)).decode())),
        _dumps(_entry(commitment=base64.b64encode(bytes(33)).decode())),
        _dumps(_entry(commitment="A" * 42 + "B=")),  # non-zero unused bits
        _dumps(_entry(commitment="A" * 43 + "=")),
        _dumps(_entry(commitment="A" * 44)),
        _dumps(_entry(extra="x")),
        _dumps({k: v for k, v in _entry().items() if k != "origin"}),
        _dumps([_entry()]),
        b"",
        b"null",
        _dumps(_entry()) + b"\n",
        _dumps(_entry())[:-1],
    ],
)
def test_a_changed_or_unusual_entry_is_read_as_decode_entry_reads_it(entry: bytes) -> None:
    assert_entry_read_alike(entry)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=40), at=st.integers(min_value=0, max_value=400))
def test_a_damaged_entry_is_read_as_decode_entry_reads_it(data: bytes, at: int) -> None:
    entry = _dumps(_entry())
    at = min(at, len(entry))
    assert_entry_read_alike(entry[:at] + data + entry[at + len(data) :])


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(payload=json_values)
def test_canonical_bytes_of_a_stored_document_are_canonical_bytes(payload: Any) -> None:
    try:
        text = json.dumps(payload, ensure_ascii=False)
    except ValueError:
        return
    decoded, plain = decode_json(text)
    document = {"event_id": "e", "version": 1, "payload": decoded}
    try:
        expected = canonical_bytes(document)
    except Exception as error:  # both must refuse alike
        with pytest.raises(type(error)):
            canonical_of(document, plain)
        return
    assert canonical_of(document, plain) == expected == rfc8785.dumps(document)


def test_plain_json_is_known_as_such() -> None:
    assert decode_json('{"a": [1, "x", null, true, {"b": -3}]}')[1]
    assert not decode_json('{"a": 1.0}')[1]
    assert not decode_json('{"a": -9007199254740992}')[1]


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1.5}',
        '{"a": 9007199254740993}',
        '{"a": "\\ud83d\\ude00"}',
        '{"\\ud83d\\ude00": 1, "\\uff61": 2}',  # UTF-16 and code-point order differ
        '{"a": "\\ud83d"}',  # a lone surrogate
        '{"b": 1, "a": [1e2]}',
    ],
)
def test_what_the_encoder_alone_cannot_write_takes_canonical_bytes(text: str) -> None:
    decoded, plain = decode_json(text)
    assert decoded == json.loads(text)
    document = {"payload": decoded}
    try:
        expected = canonical_bytes(document)
    except Exception as error:
        with pytest.raises(type(error)):
            canonical_of(document, plain)
        return
    assert canonical_of(document, plain) == expected


def test_a_stored_row_becomes_the_canonical_bytes_of_the_stored_document() -> None:
    event_id, stream_id, correlation = (str(uuid.uuid4()) for _ in range(3))
    occurred = datetime(2026, 3, 1, 12, 0, 0, 250, tzinfo=UTC)
    row = (7, event_id, "NoteDrafted", 2, "note", stream_id, 4, occurred, correlation, None)
    row += ("actor", '{"amount": "12.00", "n": 3}', occurred)
    event = _stored_event(row)  # type: ignore[arg-type]
    document = {
        "event_id": event_id,
        "event_type": "NoteDrafted",
        "schema_version": 2,
        "stream_type": "note",
        "stream_id": stream_id,
        "version": 4,
        "occurred_at": "2026-03-01T12:00:00.000250Z",
        "correlation_id": correlation,
        "causation_id": None,
        "actor": "actor",
        "payload": {"amount": "12.00", "n": 3},
    }
    assert event.body == canonical_bytes(document)
    assert event.document() == document
    assert (event.position, event.event_id, event.version) == (7, event_id, 4)


def _reference_published(bodies: list[bytes]) -> tuple[dict[str, bytes], list[str]]:
    first: dict[str, bytes] = {}
    for body in bodies:
        try:
            event_id = str(json.loads(body)["event_id"])
        except (ValueError, KeyError, TypeError):
            continue
        first.setdefault(event_id, body)
    return first, list(first)


def test_stream_copies_are_matched_to_events_as_parsing_them_would() -> None:
    docs = [{"event_id": str(uuid.uuid4()), "actor": "a", "payload": {"n": i}} for i in range(4)]
    now = datetime.now(UTC)
    stored = [StoredEvent(1, d["event_id"], "T", "s", 1, now, canonical_bytes(d)) for d in docs]
    a, b, c, d = (canonical_bytes(x) for x in docs)
    forged = canonical_bytes({**docs[1], "payload": {"n": 99}})  # names b, differs from it
    other = canonical_bytes({**docs[2], "event_id": docs[3]["event_id"]})  # names d
    nested_first = json.dumps({"actor": {"event_id": docs[0]["event_id"]}, **docs[2]}).encode()
    unknown = canonical_bytes({"event_id": str(uuid.uuid4()), "payload": {}})
    bodies = [b"", b"[]", b"not json", forged, a, a, other, b, nested_first, c, d, unknown, b"{}"]
    assert published_documents(bodies, stored) == _reference_published(bodies)


def _event(position: int, stream: str, version: int) -> StoredEvent:
    return StoredEvent(position, f"e{position}", "T", stream, version, datetime.now(UTC), b"{}")


def _sequence_reference(data: ServiceData) -> list[tuple[str, str, str]]:
    """The sorted-order check alone, as it was before the in-order shortcut."""
    findings, versions = [], {}
    for event in sorted(data.events, key=lambda e: (e.stream_id, e.version)):
        expected = versions.get(event.stream_id, 0) + 1
        if event.version != expected:
            findings.append((event.stream_id, event.version, expected - 1))
        versions[event.stream_id] = event.version
    return findings  # type: ignore[return-value]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(1, 4)), max_size=12))
def test_versions_are_checked_as_sorting_them_would(pairs: list[tuple[str, int]]) -> None:
    events = [_event(i + 1, s, v) for i, (s, v) in enumerate(pairs)]
    data = ServiceData("drafting", events, 0, None, None)
    found = _check_sequence(data)
    expected = _sequence_reference(data)
    assert [(f.subject, f.detail) for f in found] == [
        (f"drafting stream {s}", f"version {v} follows {p}") for s, v, p in expected
    ]


def test_a_leaf_is_built_from_its_columns_in_order() -> None:
    names = [c.strip() for c in _LEAF_COLUMNS.split(",")]
    fields = [f.name for f in dataclasses.fields(StoredLeaf)]
    assert ["index" if n == "leaf_index" else n for n in names] == fields


def test_raw_replies_are_read_for_status_and_stream_sequence() -> None:
    assert status_code(b"NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 1\r\n\r\n") == (
        b"408"
    )
    assert status_code(b"NATS/1.0 404 No Messages\r\n\r\n") == b"404"
    assert status_code(b"NATS/1.0\r\nNats-Msg-Id: x\r\n\r\n") == b""
    assert status_code(None) == b""
    assert stream_sequence(b"$JS.ACK.S.C.1.42.40.1700000000000000000.7") == 42
    assert stream_sequence(b"$JS.ACK.dom.acc.S.C.1.43.40.1700000000000000000.7.tok") == 43
