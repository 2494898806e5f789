"""Which stored subtree hashes make up a proof, and how they combine: proofs without recursion.

The log stores the hash of every *perfect* subtree (a node at `level` covering leaves
`[index * 2**level, (index + 1) * 2**level)`). Each element of an RFC 6962 proof is the hash of a
range `[lo, hi)` of the tree; such a range splits into perfect subtrees by the binary digits of
its length, so a proof needs O(log² n) lookups at worst, fetched in one round trip, then folded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from services.evidence.domain.merkle import node_hash, split_point


class Node(NamedTuple):
    level: int
    number: int  # the node's position within its level


Span = tuple[int, int]


def perfect_nodes(lo: int, hi: int) -> list[Node]:
    """The perfect subtrees covering `[lo, hi)`, left to right, each as large as aligned allows."""
    nodes = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        while lo % (1 << level):
            level -= 1
        nodes.append(Node(level, lo >> level))
        lo += 1 << level
    return nodes


def inclusion_spans(index: int, size: int) -> list[Span]:
    """RFC 6962 PATH(index, D[0:size]) as ranges, leaf's sibling first."""
    spans: list[Span] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + split_point(hi - lo)
        if index < mid:
            spans.append((mid, hi))
            hi = mid
        else:
            spans.append((lo, mid))
            lo = mid
    return spans[::-1]


def consistency_spans(first: int, second: int) -> list[Span]:
    """RFC 6962 PROOF(first, D[0:second]) as ranges (0 < first <= second)."""
    spans: list[Span] = []
    lo, hi, whole = 0, second, True
    while first - lo != hi - lo:
        mid = lo + split_point(hi - lo)
        if first <= mid:
            spans.append((mid, hi))
            hi = mid
        else:
            spans.append((lo, mid))
            lo, whole = mid, False
    if not whole:
        spans.append((lo, hi))
    return spans[::-1]


def nodes_for(spans: list[Span]) -> set[Node]:
    return {node for lo, hi in spans for node in perfect_nodes(lo, hi)}


def span_hash(lo: int, hi: int, hashes: Mapping[Node, bytes]) -> bytes:
    """MTH(D[lo:hi]) of a range a proof uses, folded right to left from its perfect subtrees."""
    parts = [hashes[node] for node in perfect_nodes(lo, hi)]
    result = parts[-1]
    for part in reversed(parts[:-1]):
        result = node_hash(part, result)
    return result


def assemble(spans: list[Span], hashes: Mapping[Node, bytes]) -> list[bytes]:
    return [span_hash(lo, hi, hashes) for lo, hi in spans]
