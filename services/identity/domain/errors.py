"""The one exception the rules raise: a refusal the caller can act on, in English and Chinese."""

from __future__ import annotations

from shared import errors


class Refusal(errors.Refusal):
    def __init__(self, code: str, message: str, message_zh: str, field: str | None = None) -> None:
        super().__init__(code, message, message_zh=message_zh, field=field)
