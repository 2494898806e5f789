"""Caches of what the log never changes once written: a bounded least-recently-used map (signed
checkpoints, one per size; the lower subtree hashes) and the pinned upper levels of the tree."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        if self.capacity <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)


HASH = 32  # bytes of a SHA-256 node hash


class PinnedLevels:
    """The hash of every perfect subtree at level >= `lowest` within the first `size` leaves, one
    packed bytearray per level. They never change once written and every proof of a size needs
    some of them, so they stay for good instead of taking turns in an LRU: a proof then reads
    only the few leaves below `lowest` near the leaf.

    Memory is 32 bytes per 2**(lowest - 1) leaves (4 bytes a leaf from level 4: 8 MB at 2*10^6
    leaves). `fit` lets the lowest level go before the next growth would pass `budget` bytes
    (each time halving the memory), so it stays bounded however long the log; a budget of 0
    pins nothing."""

    def __init__(self, lowest: int, budget: int) -> None:
        self.lowest = max(lowest, 1)  # level 0 is the leaves themselves: never pinned
        self.budget = budget
        self.size = 0
        self._levels: dict[int, bytearray] = {}

    @property
    def enabled(self) -> bool:
        return self.budget > 0

    @property
    def nbytes(self) -> int:
        return sum(len(packed) for packed in self._levels.values())

    def get(self, level: int, number: int) -> bytes | None:
        packed = self._levels.get(level) if level >= self.lowest else None
        if packed is None or HASH * (number + 1) > len(packed):
            return None
        return bytes(packed[HASH * number : HASH * (number + 1)])

    def fit(self, size: int) -> None:
        """Raise `lowest` until pinning the first `size` leaves stays within the budget."""
        while _pinned_bytes(size, self.lowest) > self.budget and self.lowest < size.bit_length():
            self._levels.pop(self.lowest, None)
            self.lowest += 1

    def levels_to(self, size: int) -> range:
        """The levels that gain perfect subtrees when the pinned size grows to `size`."""
        return range(self.lowest, size.bit_length()) if size > self.size else range(0)

    def extend(self, start: int, end: int, runs: list[tuple[int, int, bytes]]) -> None:
        """Append each level's run of nodes from leaf `start` to leaf `end` (as `node_runs`
        reads them). Every level must come whole, or nothing is pinned: a gap would misplace
        every later node of its level."""
        if end <= start:
            return
        if start != self.size:
            raise ValueError(f"pinned up to {self.size} leaves, not {start}")
        got = {level: (first, hashes) for level, first, hashes in runs}
        for level in self.levels_to(end):
            first, hashes = got.get(level, (-1, b""))
            if first != start >> level or len(hashes) != HASH * ((end >> level) - first):
                raise LookupError(f"the log lacks subtrees of level {level} below size {end}")
        for level in self.levels_to(end):
            self._levels.setdefault(level, bytearray()).extend(got[level][1])
        self.size = end


def _pinned_bytes(size: int, lowest: int) -> int:
    return HASH * sum(size >> level for level in range(lowest, size.bit_length()))
