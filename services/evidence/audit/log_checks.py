"""Checks of the log alone: entries, hash chain, stored subtrees, signed checkpoints."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from services.evidence.audit.entries import entry_facts
from services.evidence.audit.findings import (
    CHECKPOINT_FORGED,
    CHECKPOINT_ROLLED_BACK,
    LEAF_CHANGED,
    LEAF_REMOVED,
    Finding,
)
from services.evidence.domain.checkpoint import Checkpoint
from services.evidence.domain.leaf import CHAIN_START, chain_hash, decode_entry
from services.evidence.domain.merkle import leaf_hash, verify_consistency, verify_inclusion
from services.evidence.domain.note import Verifier
from services.evidence.domain.proofs import Node, assemble, consistency_spans, inclusion_spans
from services.evidence.domain.receipt import ReceiptError, verified_checkpoint
from services.evidence.domain.tree import MemoryTree
from services.evidence.store import StoredLeaf


def check_leaves(
    leaves: Sequence[StoredLeaf], commitments: dict[int, bytes] | None = None
) -> tuple[list[Finding], MemoryTree]:
    """Each leaf's entry, hash and link; the tree rebuilt from entries, not stored hashes.
    `commitments`, if given, receives the commitment of every intact entry by leaf index, so
    that the store checks need not decode the entries a second time."""
    findings, tree, link = [], MemoryTree(), CHAIN_START
    for expected, leaf in enumerate(leaves):
        if leaf.index != expected:
            findings.append(Finding(LEAF_REMOVED, f"leaf {expected}", "missing from the log"))
            break
        try:
            entry = entry_facts(leaf.entry)
            # Entries are accepted only as the very bytes `LeafEntry.encode` writes: the hash of
            # the decoded entry is that of the bytes as read.
            hashed = leaf_hash(leaf.entry)
            intact = (
                hashed == leaf.leaf_hash
                and entry.event_id == str(leaf.event_id)
                and entry.version == leaf.version
                and entry.stream_id == str(leaf.stream_id)
            )
        except (ValueError, KeyError, TypeError):
            intact, entry = False, None
        if not intact:
            findings.append(Finding(LEAF_CHANGED, f"leaf {leaf.index}", "entry and hash differ"))
        elif entry is not None and commitments is not None:
            commitments[leaf.index] = entry.commitment
        # Each link must cover the link stored before it: a changed entry breaks its own link
        # (and a changed link its successor's), without flagging the whole rest of the log.
        if chain_hash(link, leaf.leaf_hash) != leaf.chain_hash:
            findings.append(Finding(LEAF_CHANGED, f"leaf {leaf.index}", "hash chain breaks here"))
        link = leaf.chain_hash
        tree.append(hashed if entry else leaf.leaf_hash)
    return findings, tree


def check_stored_nodes(nodes: dict[Node, bytes], tree: MemoryTree) -> list[Finding]:
    """The subtree hashes proofs are served from must be the rebuilt tree's."""

    def rebuilt(n: Node) -> bytes | None:
        level = tree.levels[n.level] if n.level < len(tree.levels) else []
        return level[n.number] if n.number < len(level) else None

    # Nodes beyond a shrunken tree are the removed leaves' business, reported with them.
    bad = [n for n, h in nodes.items() if rebuilt(n) not in (h, None)]
    return [
        Finding(LEAF_CHANGED, f"subtree {n.level}/{n.number}", "stored hash differs from leaves")
        for n in bad[:20]
    ]


def check_checkpoints(
    notes: Sequence[tuple[int, bytes, str]],
    tree: MemoryTree,
    keys: Sequence[Verifier],
    served: Mapping[Node, bytes],
) -> tuple[list[Finding], list[Checkpoint]]:
    """Signature of each, its root against the rebuilt tree, and consistency of each with the
    next through the proofs the log serves (built from its stored subtree hashes)."""
    findings: list[Finding] = []
    good: list[Checkpoint] = []
    sound: list[Checkpoint] = []
    for size, root, note in notes:
        try:
            checkpoint, _ = verified_checkpoint(note, keys)
        except ReceiptError as error:
            findings.append(Finding(CHECKPOINT_FORGED, f"checkpoint {size}", str(error)))
            continue
        if (checkpoint.size, checkpoint.root) != (size, root):
            findings.append(
                Finding(CHECKPOINT_FORGED, f"checkpoint {size}", "row differs from its note")
            )
        elif size > tree.size:
            findings.append(
                Finding(LEAF_REMOVED, f"checkpoint {size}", f"the log holds {tree.size} leaves")
            )
        elif size and tree.root_at(size) != checkpoint.root:
            findings.append(
                Finding(LEAF_CHANGED, f"checkpoint {size}", "leaves do not hash to its root")
            )
        else:
            sound.append(checkpoint)
        good.append(checkpoint)
    for old, new in itertools.pairwise(sound):
        if not served_consistency(old, new, served):
            detail = f"served proof from {old.size} fails"
            findings.append(Finding(LEAF_CHANGED, f"checkpoint {new.size}", detail))
    if good and good[-1].size < tree.size:
        findings.append(
            Finding(
                CHECKPOINT_ROLLED_BACK,
                f"checkpoint {good[-1].size}",
                f"the latest checkpoint covers {good[-1].size} of {tree.size} leaves",
            )
        )
    return findings, good


def served_consistency(old: Checkpoint, new: Checkpoint, served: Mapping[Node, bytes]) -> bool:
    if old.size == 0:
        return True
    spans = consistency_spans(old.size, new.size)
    try:
        proof = assemble(spans, served)
    except KeyError:
        return False
    return verify_consistency(old.size, new.size, old.root, new.root, proof)


def check_published_checkpoints(
    published: Sequence[tuple[int, bytes]], stored: Sequence[Checkpoint]
) -> list[Finding]:
    """Checkpoints the log announced (its events) must still be in it, unchanged."""
    by_size = {c.size: c.root for c in stored}
    latest = max(by_size, default=0)
    findings = []
    for size, root in published:
        if size > latest:
            findings.append(
                Finding(
                    CHECKPOINT_ROLLED_BACK, f"checkpoint {size}", f"published, log is at {latest}"
                )
            )
        elif by_size.get(size, root) != root:
            findings.append(
                Finding(CHECKPOINT_FORGED, f"checkpoint {size}", "differs from the one published")
            )
        elif size not in by_size:
            findings.append(
                Finding(CHECKPOINT_ROLLED_BACK, f"checkpoint {size}", "published, then removed")
            )
    return findings


def check_against_seen(
    size: int, root: bytes, checkpoints: Sequence[Checkpoint], tree: MemoryTree
) -> list[Finding]:
    """What an earlier audit saw must still hold: a monitor's memory against rollbacks and forks."""
    latest = checkpoints[-1].size if checkpoints else 0
    if size > latest:
        detail = f"seen before, the log is now at {latest}"
        return [Finding(CHECKPOINT_ROLLED_BACK, f"checkpoint {size}", detail)]
    if size and (size > tree.size or tree.root_at(size) != root):
        return [
            Finding(CHECKPOINT_FORGED, f"checkpoint {size}", "differs from the one seen before")
        ]
    return []


def serves_the_rebuilt_tree(
    served: Mapping[Node, bytes], latest: Checkpoint, rebuilt: MemoryTree
) -> bool:
    """True iff the log serves every subtree hash of `[0, latest.size)` as rebuilt from the
    entries, and the rebuilt root is the checkpoint's. Then every proof it serves is the rebuilt
    tree's own, which verifies for each leaf whose entry hashes to its stored leaf hash."""
    if latest.size > rebuilt.size or rebuilt.root_at(latest.size) != latest.root:
        return False
    for level, values in enumerate(rebuilt.levels):
        covered = values[: latest.size >> level]
        if [served.get(Node(level, n)) for n in range(len(covered))] != covered:
            return False
    return True


def check_inclusion(
    leaves: Sequence[StoredLeaf],
    served: Mapping[Node, bytes],
    latest: Checkpoint,
    rebuilt: MemoryTree | None = None,
) -> list[Finding]:
    """Every leaf's own entry, through the proof the log would serve, reaches the latest root.

    `rebuilt`, given only when `check_leaves` found every entry intact (it hashes to its stored
    leaf hash, in order), skips the proofs one by one when the served hashes are the rebuilt
    tree's: they cannot fail then. Otherwise each proof is assembled and checked, and fails
    exactly where it fails.
    """
    if rebuilt is not None and serves_the_rebuilt_tree(served, latest, rebuilt):
        return []
    findings = []
    for leaf in leaves[: latest.size]:
        try:
            hashed = decode_entry(leaf.entry).leaf_hash()
            proof = assemble(inclusion_spans(leaf.index, latest.size), served)
        except (ValueError, KeyError, TypeError):
            proof, hashed = [], b""
        if not verify_inclusion(leaf.index, latest.size, hashed, proof, latest.root):
            detail = f"no valid inclusion proof against checkpoint {latest.size}"
            findings.append(Finding(LEAF_CHANGED, f"leaf {leaf.index}", detail))
    return findings
