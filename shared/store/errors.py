from __future__ import annotations

import uuid


class ConcurrencyError(Exception):
    """Another writer appended to the stream first; reload and decide again."""

    def __init__(self, stream_id: uuid.UUID, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream_id} is at version {actual}, expected {expected}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class DuplicateEventError(Exception):
    """An event with this event_id is already stored."""
