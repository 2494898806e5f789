"""Typed refusals: a stable code callers switch on, the field at fault, English and Chinese."""

from __future__ import annotations


class SigningRefused(Exception):  # noqa: N818 - a refusal, not a fault
    def __init__(
        self, code: str, message_en: str, message_zh: str, field: str | None = None
    ) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh
        self.field = field

    def __repr__(self) -> str:
        return f"SigningRefused({self.code!r}, field={self.field!r})"
