"""The one exception the rules raise: a refusal the caller can act on, in English and Chinese."""

from __future__ import annotations


class Refusal(ValueError):  # noqa: N818 - a refusal, not a fault
    def __init__(self, code: str, message: str, message_zh: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh
        self.field = field
