"""The audit's pure checks of the log: rebuilt tree, hash chain, checkpoints, monitor memory."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from services.evidence.audit.log_checks import (
    check_against_seen,
    check_checkpoints,
    check_inclusion,
    check_leaves,
)
from services.evidence.domain.batch import Incoming, append_batch
from services.evidence.domain.checkpoint import Checkpoint
from services.evidence.domain.compact import CompactRange
from services.evidence.domain.leaf import CHAIN_START
from services.evidence.domain.note import Signer, sign_note
from services.evidence.domain.proofs import Node
from services.evidence.domain.tree import MemoryTree
from services.evidence.store import StoredLeaf

ORIGIN = "example.com/log"
LOG = Signer(ORIGIN, bytes(range(32)))


def leaves(count: int) -> list[StoredLeaf]:
    events = [
        Incoming("drafting", str(uuid.uuid4()), "T", str(uuid.uuid4()), 1, None, b"{}")
        for _ in range(count)
    ]
    batch = append_batch(
        CompactRange(),
        CHAIN_START,
        ORIGIN,
        "2026-01-01T00:00:00Z",
        [(e, os.urandom(32)) for e in events],
    )
    return [
        StoredLeaf(
            leaf.index,
            uuid.UUID(leaf.event.event_id),
            "drafting",
            "T",
            uuid.UUID(leaf.event.stream_id),
            1,
            datetime.now(UTC),
            leaf.salt,
            leaf.entry,
            leaf.leaf_hash,
            leaf.chain_hash,
            b"{}",
        )
        for leaf in batch.leaves
    ]


def signed(tree_size: int, root: bytes) -> tuple[int, bytes, str]:
    return tree_size, root, sign_note(Checkpoint(ORIGIN, tree_size, root).body(), [LOG])


def test_an_intact_log_has_no_finding_and_a_changed_link_is_named() -> None:
    stored = leaves(20)
    findings, tree = check_leaves(stored)
    assert findings == []
    notes = [signed(n, tree.root_at(n)) for n in (5, 20)]
    served = {Node(0, leaf.index): leaf.leaf_hash for leaf in stored}
    served |= {
        Node(lvl, i): h
        for lvl in range(1, len(tree.levels))
        for i, h in enumerate(tree.levels[lvl])
    }
    assert check_checkpoints(notes, tree, [LOG.verifier], served)[0] == []
    stored[7] = replace(stored[7], chain_hash=bytes(32))
    assert [(f.kind, f.subject) for f in check_leaves(stored)[0]] == [
        ("leaf_changed", "leaf 7"),
        ("leaf_changed", "leaf 8"),
    ]


def test_the_monitor_memory_catches_a_rollback_and_a_fork() -> None:
    _, tree = check_leaves(leaves(10))
    now = [Checkpoint(ORIGIN, 10, tree.root())]
    assert check_against_seen(10, tree.root(), now, tree) == []
    assert check_against_seen(4, tree.root_at(4), now, tree) == []
    assert [f.kind for f in check_against_seen(12, bytes(32), now, tree)] == [
        "checkpoint_rolled_back"
    ]
    assert [f.kind for f in check_against_seen(4, bytes(32), now, tree)] == ["checkpoint_forged"]


def test_every_leaf_reaches_the_latest_root_through_the_served_proof() -> None:
    stored = leaves(13)
    _, tree = check_leaves(stored)
    served = {Node(0, leaf.index): leaf.leaf_hash for leaf in stored}
    served |= {
        Node(lvl, i): h
        for lvl in range(1, len(tree.levels))
        for i, h in enumerate(tree.levels[lvl])
    }
    latest = Checkpoint(ORIGIN, 13, tree.root())
    assert check_inclusion(stored, served, latest) == []
    served[Node(1, 2)] = bytes(32)  # the stored hash of leaves 4-5: 6 and 7 prove through it
    failing = {f.subject for f in check_inclusion(stored, served, latest)}
    assert failing == {"leaf 6", "leaf 7"}


def _served(stored: list[StoredLeaf], tree: MemoryTree) -> dict[Node, bytes]:
    served = {Node(0, leaf.index): leaf.leaf_hash for leaf in stored}
    return served | {
        Node(lvl, i): h
        for lvl in range(1, len(tree.levels))
        for i, h in enumerate(tree.levels[lvl])
    }


@pytest.mark.parametrize("size", [1, 2, 12, 13])
def test_the_rebuilt_tree_shortcut_finds_what_every_proof_finds(size: int) -> None:
    stored = leaves(13)
    _, tree = check_leaves(stored)
    latest = Checkpoint(ORIGIN, size, tree.root_at(size))
    served = _served(stored, tree)
    assert check_inclusion(stored, served, latest, tree) == []
    tampered: list[dict[Node, bytes]] = []
    for node in [Node(0, size - 1), Node(1, (size - 1) // 2), Node(2, 1), Node(3, 0)]:
        if node.number < size >> node.level:
            tampered.append({**served, node: bytes(32)})
            tampered.append({n: h for n, h in served.items() if n != node})
    assert tampered or size == 1
    found = []
    for bad in tampered:
        one_by_one = check_inclusion(stored, bad, latest)
        assert check_inclusion(stored, bad, latest, tree) == one_by_one
        found += one_by_one
    assert found or size == 1
    forged = Checkpoint(ORIGIN, size, bytes(32))
    assert len(check_inclusion(stored, served, forged, tree)) == size
