"""What drafting needs from other services, as ports the app depends on."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from shared.catalogue.drafting import AgeCheck


@dataclass(frozen=True)
class PartyProfile:
    party_id: uuid.UUID
    verified: bool
    masked_id: str | None  # e.g. 1101**********002X; the only form of an ID drafting ever sees
    commitment: str | None  # the identity service's HMAC identity commitment, hex
    age: AgeCheck | None = None  # only when asked with `age_on`
    name_matches: bool | None = None  # only when asked with `name`


class IdentityPort(Protocol):
    async def party_profile(
        self, party_id: uuid.UUID, age_on: date | None = None, name: str | None = None
    ) -> PartyProfile:
        """With `age_on`, also `age`: is the party 22–60 years old on that day? Only yes/no and a
        reason, never a birth date. With `name`, also `name_matches` (see `match_name`). One
        round trip, as drafting wants them together when a counterparty joins."""
        ...

    async def match_name(self, party_id: uuid.UUID, name: str) -> bool:
        """Does the party's verified legal name equal `name`? The legal name stays in identity."""
        ...
