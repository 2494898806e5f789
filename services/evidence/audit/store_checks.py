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


@dataclass(frozen=True)
class StoredEvent:
    position: int
    document: JsonDoc
    recorded_at: datetime

    @property
    def event_id(self) -> str:
        return str(self.document["event_id"])


@dataclass(frozen=True)
class ServiceData:
    name: str
    events: list[StoredEvent]
    relay_position: int
    published: dict[str, bytes] | None  # event id -> first body on JetStream, None if unread
    published_order: list[str]


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
    versions: dict[str, int] = {}
    for event in sorted(
        data.events, key=lambda e: (e.document["stream_id"], e.document["version"])
    ):
        stream, version = str(event.document["stream_id"]), int(event.document["version"])
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


def _check_order(data: ServiceData) -> list[Finding]:
    """Store order must be the order the relay published in (JetStream is the witness)."""
    if data.published is None:
        return []
    rank = {event_id: i for i, event_id in enumerate(data.published_order)}
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
    data: ServiceData, event: StoredEvent, leaf: StoredLeaf, known: Mapping[int, bytes]
) -> Finding:
    body = canonical_bytes(event.document)
    subject = f"{data.name} event {event.event_id}"
    witness = data.published.get(event.event_id) if data.published is not None else leaf.event
    if witness is not None and witness == body:
        return Finding(LEAF_CHANGED, subject, "the event is intact, its leaf's commitment is not")
    restored = {**event.document, "version": leaf.version}
    if leaf.version != event.document["version"] and _commits_to(
        leaf, canonical_bytes(restored), known
    ):
        return Finding(
            EVENT_REORDERED,
            subject,
            f"stored as version {event.document['version']}, logged as {leaf.version}",
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
    findings = _check_sequence(data) + _check_order(data)
    anchored_max = max((e.position for e in data.events if e.event_id in leaves), default=0)
    for event in data.events:
        leaf = leaves.get(event.event_id)
        subject = f"{data.name} event {event.event_id}"
        published = data.published is not None and event.event_id in data.published
        if leaf is None:
            if published and leaves_missing:
                findings.append(Finding(LEAF_REMOVED, subject, "published, but its leaf is gone"))
            elif not published and (
                event.position < anchored_max
                or (event.position <= data.relay_position and data.published is not None)
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
        body = canonical_bytes(event.document)
        fields_match = (
            leaf.event_type == event.document["event_type"]
            and str(leaf.stream_id) == event.document["stream_id"]
            and leaf.version == event.document["version"]
        )
        if not (fields_match and _commits_to(leaf, body, known)):
            findings.append(_classify_mismatch(data, event, leaf, known))
        elif data.published is not None and data.published.get(event.event_id, body) != body:
            findings.append(Finding(EVENT_CHANGED, subject, "differs from what was published"))
    stored = {e.event_id for e in data.events}
    for event_id, leaf in leaves.items():
        if leaf.source == data.name and event_id not in stored:
            findings.append(
                Finding(
                    EVENT_DELETED,
                    f"{data.name} event {event_id}",
                    f"logged at leaf {leaf.index}, gone from the store",
                )
            )
    if data.published is not None:
        summary.on_jetstream = len(data.published)
        for event_id in data.published.keys() - stored - leaves.keys():
            findings.append(
                Finding(
                    EVENT_DELETED, f"{data.name} event {event_id}", "published, gone from the store"
                )
            )
    return findings, summary


def published_documents(bodies: Sequence[bytes]) -> tuple[dict[str, bytes], list[str]]:
    """First copy of each event on a stream, and the order of first appearance."""
    first: dict[str, bytes] = {}
    for body in bodies:
        try:
            event_id = str(json.loads(body)["event_id"])
        except (ValueError, KeyError, TypeError):
            continue
        first.setdefault(event_id, body)
    return first, list(first)
