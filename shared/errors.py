"""The one shape of a refusal, shared by domain code and the command layer.

A service's domain raises (a subclass of) `Refusal`; the command layer turns any `Refusal` into
the reply `{code, message, message_zh, field}` with no translation step of its own.
"""

from __future__ import annotations

from typing import Any


class Refusal(Exception):  # noqa: N818 - a refusal the caller can act on, not a fault
    def __init__(
        self, code: str, message: str, *, message_zh: str = "", field: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh or message
        self.field = field

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "message_zh": self.message_zh,
            "field": self.field,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, field={self.field!r})"
