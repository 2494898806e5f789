"""What a published event must be to become a leaf: the leaf's fields and its exact bytes."""

from __future__ import annotations

import json
import re
import uuid

from services.evidence.domain.batch import Incoming
from services.evidence.domain.pack import KEY_EVENT
from shared.events import canonical_bytes

_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,99}$")


class MalformedEventError(ValueError):
    """A message that can never become a leaf: retrying cannot fix its bytes."""


def _uuid(value: object, name: str) -> str:
    try:
        text = str(uuid.UUID(str(value)))
    except ValueError as error:
        raise MalformedEventError(f"{name} is not a UUID") from error
    if text != value:
        raise MalformedEventError(f"{name} is not a canonical UUID")
    return text


def _uuid_or_none(value: object) -> str | None:
    try:
        return _uuid(value, "note_id")
    except MalformedEventError:
        return None


def parse_message(source: str, body: bytes) -> Incoming:
    """The leaf's fields out of a published event; the bytes must be the canonical encoding."""
    try:
        doc = json.loads(body)
    except ValueError as error:
        raise MalformedEventError(f"not JSON: {error}") from error
    if not isinstance(doc, dict) or canonical_bytes(doc) != body:
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
