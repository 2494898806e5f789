"""An in-memory tree of every perfect subtree: the test oracle's partner and the bench's store."""

from __future__ import annotations

from collections.abc import Iterable

from services.evidence.domain.compact import CompactRange
from services.evidence.domain.proofs import (
    Node,
    assemble,
    consistency_spans,
    inclusion_spans,
    nodes_for,
)


class MemoryTree:
    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.compact = CompactRange()
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return self.compact.size

    def append(self, leaf: bytes) -> None:
        for node, value in self.compact.append(leaf):
            if node.level == len(self.levels):
                self.levels.append([])
            self.levels[node.level].append(value)

    def node(self, node: Node) -> bytes:
        return self.levels[node.level][node.number]

    def root(self) -> bytes:
        return self.compact.root()

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        spans = inclusion_spans(index, size)
        return assemble(spans, {n: self.node(n) for n in nodes_for(spans)})

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        spans = consistency_spans(first, second)
        return assemble(spans, {n: self.node(n) for n in nodes_for(spans)})

    def root_at(self, size: int) -> bytes:
        return CompactRange.from_nodes(
            size, {n: self.node(n) for n in CompactRange.border_of(size)}
        ).root()
