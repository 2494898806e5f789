"""What other services ask about a party: its profile, its age on a date, its name."""

from __future__ import annotations

import hmac
import uuid
from datetime import date

from services.identity.application.context import IdentityContext
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
        """An unknown party is simply not verified; the age only when `age_on` is asked."""
        party = await self.ctx.party(request.party_id)
        age = await self._age(request.party_id, request.age_on) if request.age_on else None
        return PartyProfile(
            party_id=request.party_id,
            verified=party.verified,
            masked_id=party.masked_id,
            commitment=party.commitment,
            age=age,
        )

    async def _age(self, party_id: uuid.UUID, on: date) -> AgeAnswer:
        """Is the party 22 to 60 on `on`: yes/no and a reason, never the birth date."""
        identity = await self.ctx.identity(party_id)
        if identity is None:
            return AgeAnswer(eligible=False, reason="not_verified")
        birth = parse_id_number(identity.id_number).birth_date
        reason = age_refusal(birth, on)
        return AgeAnswer(eligible=reason is None, reason=reason)

    async def match_name(self, request: MatchName) -> NameMatch:
        identity = await self.ctx.identity(request.party_id)
        if identity is None:
            return NameMatch(matches=False)
        try:
            name = normalise_legal_name(request.name)
        except Refusal:
            return NameMatch(matches=False)
        same = hmac.compare_digest(name.encode(), identity.legal_name.encode())
        return NameMatch(matches=same)
