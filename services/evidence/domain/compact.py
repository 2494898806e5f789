"""A compact range over `[0, size)`: the right border of perfect subtrees, enough to append.

Appending a leaf completes zero or more perfect subtrees; the caller stores those, so the full
set of perfect-subtree hashes (what proofs are built from) grows with the log at O(1) amortised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.evidence.domain.merkle import EMPTY_ROOT, node_hash
from services.evidence.domain.proofs import Node, perfect_nodes


@dataclass
class CompactRange:
    size: int = 0
    border: list[bytes] = field(default_factory=list)  # hashes of perfect_nodes(0, size)

    @classmethod
    def border_of(cls, size: int) -> list[Node]:
        return perfect_nodes(0, size)

    @classmethod
    def from_nodes(cls, size: int, hashes: Mapping[Node, bytes]) -> CompactRange:
        return cls(size, [hashes[node] for node in cls.border_of(size)])

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add one leaf hash; returns every perfect subtree it completes, the leaf itself first."""
        completed = [(Node(0, self.size), leaf)]
        current, index, level = leaf, self.size, 0
        while index & 1:
            current = node_hash(self.border.pop(), current)
            index >>= 1
            level += 1
            completed.append((Node(level, index), current))
        self.border.append(current)
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.border:
            return EMPTY_ROOT
        result = self.border[-1]
        for part in reversed(self.border[:-1]):
            result = node_hash(part, result)
        return result
