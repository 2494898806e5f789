"""Typed refusals: a stable code callers switch on, the field at fault, English and Chinese."""

from __future__ import annotations

from shared.errors import Refusal


class SigningRefused(Refusal):
    def __init__(
        self, code: str, message_en: str, message_zh: str, field: str | None = None
    ) -> None:
        super().__init__(code, message_en, message_zh=message_zh, field=field)
