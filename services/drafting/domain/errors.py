"""Typed refusals: each names the field and the rule, in Chinese and in English."""

from __future__ import annotations


class DomainError(Exception):
    """A command refused by a rule. `rule` is a stable code callers may switch on."""

    def __init__(self, field: str | None, rule: str, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.field = field
        self.rule = rule
        self.message_en = message_en
        self.message_zh = message_zh

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.field!r}, {self.rule!r})"


class InvalidTerms(DomainError):  # noqa: N818 - a refusal, not a fault
    """The terms break a lending or template rule."""


class PartyNotEligible(DomainError):  # noqa: N818 - a refusal, not a fault
    """A party may not take part (age, verification, legal name)."""


class NotAllowed(DomainError):  # noqa: N818 - a refusal, not a fault
    """The note's state or the actor's role does not allow the command."""


class InvitationInvalid(DomainError):  # noqa: N818 - a refusal, not a fault
    """The invitation token is unknown, revoked, expired or already used."""


class NotFound(DomainError):  # noqa: N818 - a refusal, not a fault
    """No such note (or the actor may not see it: the two are not told apart)."""
