"""What a published event must be to become a leaf: the leaf's fields and its exact bytes."""

from __future__ import annotations

import json
import re

from services.evidence.domain.batch import Incoming
from services.evidence.domain.pack import KEY_EVENT
from shared.events import canonical_bytes

_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,99}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class _HasFloat(Exception):  # noqa: N818 - control flow inside the fast path only
    pass


def _no_floats(text: str) -> float:
    raise _HasFloat


def _is_canonical(body: bytes) -> dict[str, object] | None:
    """The document if `body` is its RFC 8785 encoding, else None.

    Without floats, JCS is the C-accelerated `json.dumps` with sorted keys (keys here are ASCII),
    four times cheaper than the pure-Python encoder; a document with a float takes the slow path.
    """
    try:
        doc = json.loads(body, parse_float=_no_floats)
    except _HasFloat:
        doc = json.loads(body)
        return doc if isinstance(doc, dict) and canonical_bytes(doc) == body else None
    if not isinstance(doc, dict):
        return None
    fast = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return doc if fast == body or canonical_bytes(doc) == body else None


class MalformedEventError(ValueError):
    """A message that can never become a leaf: retrying cannot fix its bytes."""


def _uuid(value: object, name: str) -> str:
    if not isinstance(value, str) or not _UUID.match(value):
        raise MalformedEventError(f"{name} is not a UUID in canonical (lower-case) form")
    return value


def _uuid_or_none(value: object) -> str | None:
    try:
        return _uuid(value, "note_id")
    except MalformedEventError:
        return None


def parse_message(source: str, body: bytes) -> Incoming:
    """The leaf's fields out of a published event; the bytes must be the canonical encoding."""
    try:
        doc = _is_canonical(body)
    except ValueError as error:
        raise MalformedEventError(f"not JSON: {error}") from error
    if doc is None:
        raise MalformedEventError("not an event in its canonical (RFC 8785) encoding")
    event_type, version, payload = doc.get("event_type"), doc.get("version"), doc.get("payload")
    if not isinstance(event_type, str) or not _TYPE.match(event_type):
        raise MalformedEventError("bad event_type")
    if not isinstance(version, int) or isinstance(version, bool) or not 0 < version < 2**31:
        raise MalformedEventError("bad version")
    payload = payload if isinstance(payload, dict) else {}
    # A `note_id` only indexes the event for its note's pack: one the log cannot read as a UUID
    # leaves the event out of that index, never out of the log.
    note_id = _uuid_or_none(payload.get("note_id"))
    key_id = payload.get("key_id") if event_type == KEY_EVENT else None
    return Incoming(
        source=source,
        event_id=_uuid(doc.get("event_id"), "event_id"),
        event_type=event_type,
        stream_id=_uuid(doc.get("stream_id"), "stream_id"),
        version=version,
        note_id=note_id,
        event_bytes=body,
        published_key_id=str(key_id) if key_id is not None else None,
    )
