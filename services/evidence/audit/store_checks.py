"""Checks of one service's event store against the log and against its JetStream stream.

When the copies disagree, the independent ones decide who was tampered with: the store, the
stream (what the relay published, which nobody can delete) and the log's own copy of the bytes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from services.evidence.audit.findings import (
    EVENT_CHANGED,
    EVENT_DELETED,
    EVENT_INSERTED,
    EVENT_NOT_ANCHORED,
    EVENT_REORDERED,
    LEAF_CHANGED,
    LEAF_REMOVED,
    Finding,
    ServiceSummary,
)
from services.evidence.domain.leaf import decode_entry
from services.evidence.store import StoredLeaf
from shared.events import JsonDoc, canonical_bytes

Published = dict[str, bytes]  # event id -> its first body on JetStream


class StoredEvent(NamedTuple):
    """A stored event as the checks need it: its canonical bytes (what its leaf commits to and
    what the relay published) and the columns compared with its leaf. Not the parsed document:
    a million of those held to the end were most of the audit's memory and of its garbage
    collector's work; the few checks that need it decode `body` again (the same JSON value)."""

    position: int
    event_id: str
    event_type: str
    stream_id: str
    version: int
    recorded_at: datetime
    body: bytes

    def document(self) -> JsonDoc:
        document: JsonDoc = json.loads(self.body)
        return document


@dataclass(frozen=True)
class ServiceData:
    name: str
    events: list[StoredEvent]
    relay_position: int
    published: Published | None  # None if the stream was not read
    published_order: list[str] | None  # the event ids in order of first appearance on it


def _commits_to(leaf: StoredLeaf, body: bytes, known: Mapping[int, bytes]) -> bool:
    commitment = known.get(leaf.index) or decode_entry(leaf.entry).commitment
    return hashlib.sha256(leaf.salt + body).digest() == commitment


def _check_sequence(data: ServiceData) -> list[Finding]:
    findings, previous = [], 0
    for event in data.events:
        if event.position != previous + 1:
            subject = f"{data.name} position {previous + 1}"
            findings.append(Finding(EVENT_DELETED, subject, "gap in global positions"))
        previous = event.position
    if _versions_follow_in_position_order(data.events):
        return findings  # then each stream's versions, sorted, are 1..n as well
    versions: dict[str, int] = {}
    for event in sorted(data.events, key=lambda e: (e.stream_id, e.version)):
        stream, version = event.stream_id, event.version
        if version != versions.get(stream, 0) + 1:
            findings.append(
                Finding(
                    EVENT_DELETED,
                    f"{data.name} stream {stream}",
                    f"version {version} follows {versions.get(stream, 0)}",
                )
            )
        versions[stream] = version
    return findings


def _versions_follow_in_position_order(events: Sequence[StoredEvent]) -> bool:
    """Every stream's versions come 1, 2, 3... in position order: true of every untouched store,
    and a single pass where sorting by stream and version (to name what is missing) is not."""
    versions: dict[str, int] = {}
    for event in events:
        stream, version = event.stream_id, event.version
        if version != versions.get(stream, 0) + 1:
            return False
        versions[stream] = version
    return True


def _check_order(data: ServiceData, published_order: list[str] | None) -> list[Finding]:
    """Store order must be the order the relay published in (JetStream is the witness)."""
    if published_order is None or published_order == [e.event_id for e in data.events]:
        return []  # unread, or published exactly in store order (the usual case: one pass)
    rank = {event_id: i for i, event_id in enumerate(published_order)}
    ranked = [(rank[e.event_id], e) for e in data.events if e.event_id in rank]
    return [
        Finding(
            EVENT_REORDERED,
            f"{data.name} event {b.event_id}",
            f"stored at {b.position}, published before {a.event_id}",
        )
        for (ra, a), (rb, b) in itertools.pairwise(ranked)
        if rb < ra
    ]


def _classify_mismatch(
    name: str,
    event: StoredEvent,
    body: bytes,
    leaf: StoredLeaf,
    published: Published | None,
    known: Mapping[int, bytes],
) -> Finding:
    subject = f"{name} event {event.event_id}"
    witness = published.get(event.event_id) if published is not None else leaf.event
    if witness is not None and witness == body:
        return Finding(LEAF_CHANGED, subject, "the event is intact, its leaf's commitment is not")
    restored = {**event.document(), "version": leaf.version}
    if leaf.version != event.version and _commits_to(leaf, canonical_bytes(restored), known):
        return Finding(
            EVENT_REORDERED, subject, f"stored as version {event.version}, logged as {leaf.version}"
        )
    return Finding(EVENT_CHANGED, subject, "differs from what was logged")


def check_service(
    data: ServiceData,
    leaves: Mapping[str, StoredLeaf],
    leaves_missing: bool,
    grace_before: datetime,
    commitments: Mapping[int, bytes] | None = None,
) -> tuple[list[Finding], ServiceSummary]:
    """`commitments`: those `check_leaves` already decoded, by leaf index (others are decoded)."""
    known = commitments or {}
    summary = ServiceSummary(events=len(data.events))
    published = data.published
    stored = {e.event_id for e in data.events}
    findings = _check_sequence(data) + _check_order(data, data.published_order)
    anchored_max = max((e.position for e in data.events if e.event_id in leaves), default=0)
    for event in data.events:
        event_id = event.event_id
        leaf = leaves.get(event_id)
        if leaf is None:
            subject = f"{data.name} event {event_id}"
            on_stream = published is not None and event_id in published
            if on_stream and leaves_missing:
                findings.append(Finding(LEAF_REMOVED, subject, "published, but its leaf is gone"))
            elif not on_stream and (
                event.position < anchored_max
                or (event.position <= data.relay_position and published is not None)
            ):
                findings.append(
                    Finding(
                        EVENT_INSERTED,
                        subject,
                        f"at position {event.position}, never published or logged",
                    )
                )
            elif event.recorded_at < grace_before:
                findings.append(Finding(EVENT_NOT_ANCHORED, subject, "not in the log in time"))
            else:
                summary.pending += 1
            continue
        summary.anchored += 1
        body = event.body  # its canonical bytes: what its leaf commits to, what was published
        fields_match = (
            leaf.event_type == event.event_type
            and str(leaf.stream_id) == event.stream_id
            and leaf.version == event.version
        )
        if not (fields_match and _commits_to(leaf, body, known)):
            findings.append(_classify_mismatch(data.name, event, body, leaf, published, known))
        elif published is not None and published.get(event_id, body) != body:
            subject = f"{data.name} event {event_id}"
            findings.append(Finding(EVENT_CHANGED, subject, "differs from what was published"))
    for event_id, leaf in leaves.items():
        if leaf.source == data.name and event_id not in stored:
            findings.append(
                Finding(
                    EVENT_DELETED,
                    f"{data.name} event {event_id}",
                    f"logged at leaf {leaf.index}, gone from the store",
                )
            )
    if published is not None:
        summary.on_jetstream = len(published)
        for event_id in published.keys() - stored - leaves.keys():
            findings.append(
                Finding(
                    EVENT_DELETED, f"{data.name} event {event_id}", "published, gone from the store"
                )
            )
    return findings, summary


_EVENT_ID_KEY = b'"event_id":"'


def published_documents(
    bodies: Sequence[bytes], stored: Sequence[StoredEvent]
) -> tuple[Published, list[str]]:
    """First copy of each event on a stream, by the event id in its body, and the order of
    first appearance. `stored`: the service's stored events, whose canonical bytes are what the
    relay publishes (so the copies compare with them as bytes).

    A body is parsed only to find its event id when it is not byte for byte the stored event it
    names: one that is, is the canonical encoding of a document with that id, so parsing it would
    give that id. The id it names is only looked up, never trusted: at the first `"event_id":"`
    (in canonical bytes, the top-level key: the keys before it hold a UUID, null or a string, in
    which a quote is escaped).
    """
    first: Published = {}
    canonical = {e.event_id: e.body for e in stored}
    for body in bodies:
        named = _named_event_id(body)
        if (same := canonical.get(named)) is not None and same == body:
            first.setdefault(named, same)  # the same bytes; one copy of them is kept
        elif (event_id := _parsed_event_id(body)) is not None:
            first.setdefault(event_id, body)
    return first, list(first)


def _named_event_id(body: bytes) -> str:
    at = body.find(_EVENT_ID_KEY)
    return (
        body[at + len(_EVENT_ID_KEY) : at + len(_EVENT_ID_KEY) + 36].decode("ascii", "replace")
        if at >= 0
        else ""
    )


def _parsed_event_id(body: bytes) -> str | None:
    try:
        return str(json.loads(body)["event_id"])
    except (ValueError, KeyError, TypeError):
        return None
