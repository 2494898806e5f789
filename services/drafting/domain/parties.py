"""What the identity service told us about a party, and the rules drafting applies to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from services.drafting.domain.errors import NotAllowed, PartyNotEligible
from shared.catalogue.drafting import AgeCheck

_AGE_REFUSALS = {
    "too_young": ("must be at least 22 years old on the start date", "在起始日须年满22周岁"),
    "too_old": ("must be at most 60 years old on the start date", "在起始日不得超过60周岁"),
    "not_verified": ("has not verified their identity", "尚未完成实名认证"),
}
_ROLE_ZH = {"initiator": "发起人", "counterparty": "相对方"}


@dataclass(frozen=True)
class PartyFacts:
    """The identity service's answers about one party: never a name or an ID number."""

    party_id: uuid.UUID
    verified: bool
    identity_commitment: str | None
    age_check: AgeCheck | None = None  # asked only for IOUs, on the start date


def require_verified(facts: PartyFacts, field: str) -> str:
    """The party's identity commitment; refuses an unverified party."""
    if not facts.verified or not facts.identity_commitment:
        en, zh = _AGE_REFUSALS["not_verified"]
        raise PartyNotEligible(field, "not_verified", f"the {field} {en}", _ROLE_ZH[field] + zh)
    return facts.identity_commitment


def require_age(check: AgeCheck | None, field: str, start: date) -> AgeCheck:
    """The eligible answer for `start`; refuses a missing, stale or negative one."""
    if check is None or check.on != start:
        raise NotAllowed(
            field,
            "age_not_checked",
            f"the {field}'s age has not been checked for {start.isoformat()}",
            f"{_ROLE_ZH[field]}的年龄尚未按起始日核验",
        )
    if not check.eligible:
        en, zh = _AGE_REFUSALS[check.reason or "not_verified"]
        raise PartyNotEligible(
            field, check.reason or "not_eligible", f"the {field} {en}", _ROLE_ZH[field] + zh
        )
    return check
