"""What other services ask about a party: its profile, its age on a date, its name."""

from __future__ import annotations

import hmac
from datetime import date

from services.identity.application.context import Identity, IdentityContext
from services.identity.application.models import (
    AgeAnswer,
    MatchName,
    NameMatch,
    PartyProfile,
    PartyProfileRequest,
)
from services.identity.domain.age import age_refusal
from services.identity.domain.contact import normalise_legal_name
from services.identity.domain.errors import Refusal
from services.identity.domain.id_number import parse_id_number


class Queries:
    def __init__(self, ctx: IdentityContext) -> None:
        self.ctx = ctx

    async def party_profile(self, request: PartyProfileRequest) -> PartyProfile:
        """An unknown party is simply not verified; the age only when `age_on` is asked, the
        name's match only when `name` is (both from one decryption of the identity)."""
        party = await self.ctx.party(request.party_id)
        asked = request.age_on is not None or request.name is not None
        identity = await self.ctx.identity(request.party_id) if asked else None
        return PartyProfile(
            party_id=request.party_id,
            verified=party.verified,
            masked_id=party.masked_id,
            commitment=party.commitment,
            age=_age(identity, request.age_on) if request.age_on else None,
            name_matches=_same_name(identity, request.name) if request.name is not None else None,
        )

    async def match_name(self, request: MatchName) -> NameMatch:
        identity = await self.ctx.identity(request.party_id)
        return NameMatch(matches=_same_name(identity, request.name))


def _age(identity: Identity | None, on: date) -> AgeAnswer:
    """Is the party 22 to 60 on `on`: yes/no and a reason, never the birth date."""
    if identity is None:
        return AgeAnswer(eligible=False, reason="not_verified")
    birth = parse_id_number(identity.id_number).birth_date
    reason = age_refusal(birth, on)
    return AgeAnswer(eligible=reason is None, reason=reason)


def _same_name(identity: Identity | None, name: str) -> bool:
    """Is `name` the party's verified legal name? The legal name itself stays here."""
    if identity is None:
        return False
    try:
        normalised = normalise_legal_name(name)
    except Refusal:
        return False
    return hmac.compare_digest(normalised.encode(), identity.legal_name.encode())
