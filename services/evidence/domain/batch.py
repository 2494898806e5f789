"""One group commit, decided without I/O: new leaves, the subtrees they complete, the new root.

The caller loads the log's state under a lock, hands in the events not yet in the log with a fresh
salt each, and writes back what this returns in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.evidence.domain.compact import CompactRange
from services.evidence.domain.leaf import LeafEntry, chain_hash, commitment
from services.evidence.domain.proofs import Node


@dataclass(frozen=True)
class Incoming:
    """An event as the bus delivered it: its canonical bytes and the fields the leaf names."""

    source: str
    event_id: str
    event_type: str
    stream_id: str
    version: int
    note_id: str | None
    event_bytes: bytes
    published_key_id: str | None = None


@dataclass(frozen=True)
class NewLeaf:
    index: int
    event: Incoming
    salt: bytes
    received_at: str
    entry: bytes
    leaf_hash: bytes
    chain_hash: bytes


@dataclass(frozen=True)
class BatchResult:
    leaves: list[NewLeaf]
    nodes: list[tuple[Node, bytes]]  # completed perfect subtrees of level >= 1
    size: int
    root: bytes
    chain_head: bytes


def append_batch(
    tree: CompactRange,
    chain_head: bytes,
    origin: str,
    received_at: str,
    events: list[tuple[Incoming, bytes]],
) -> BatchResult:
    """Append `(event, salt)` pairs in order; `tree` is advanced in place."""
    leaves: list[NewLeaf] = []
    nodes: list[tuple[Node, bytes]] = []
    for event, salt in events:
        entry = LeafEntry(
            origin=origin,
            source=event.source,
            event_id=event.event_id,
            event_type=event.event_type,
            stream_id=event.stream_id,
            version=event.version,
            received_at=received_at,
            commitment=commitment(salt, event.event_bytes),
        )
        encoded, hashed = entry.encode(), entry.leaf_hash()
        chain_head = chain_hash(chain_head, hashed)
        index = tree.size
        nodes += tree.append(hashed)[1:]
        leaves.append(NewLeaf(index, event, salt, received_at, encoded, hashed, chain_head))
    return BatchResult(leaves, nodes, tree.size, tree.root(), chain_head)
