"""The age gate drafting asks about: is this party 22 to 60 (inclusive) on a given date."""

from __future__ import annotations

from datetime import date
from typing import Literal

from services.identity.domain.id_number import age_on

YOUNGEST = 22
OLDEST = 60

AgeRefusal = Literal["too_young", "too_old"]


def age_refusal(birth: date, on: date) -> AgeRefusal | None:
    """None when the party may sign a note dated `on`, else why not."""
    age = age_on(birth, on)
    if age < YOUNGEST:
        return "too_young"
    if age > OLDEST:
        return "too_old"
    return None
