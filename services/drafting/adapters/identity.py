"""The identity service over NATS request/reply (`<ns>.cmd.identity.<name>`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import nats.errors

from services.drafting.ports import PartyProfile
from shared.catalogue.drafting import AgeCheck
from shared.commands import CommandClient, CommandRejected


class NatsIdentity:
    """`client` gives the command client to use (a factory, so it may be made after wiring)."""

    def __init__(self, client: Callable[[], CommandClient]) -> None:
        self._client = client

    async def _call(self, name: str, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self._client().call("identity", name, request)
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError) as error:
            raise CommandRejected(
                "identity_unavailable",
                "the identity service did not answer; try again",
                message_zh="实名认证服务暂时不可用，请稍后重试",
            ) from error

    async def party_profile(
        self, party_id: uuid.UUID, age_on: date | None = None, name: str | None = None
    ) -> PartyProfile:
        request = {"party_id": str(party_id)}
        if age_on is not None:
            request["age_on"] = age_on.isoformat()
        if name is not None:
            request["name"] = name
        result = await self._call("party_profile", request)
        return PartyProfile(
            party_id=party_id,
            verified=bool(result["verified"]),
            masked_id=result.get("masked_id"),
            commitment=result.get("commitment"),
            age=_age_check(party_id, age_on, result.get("age")),
            name_matches=result.get("name_matches"),
        )

    async def match_name(self, party_id: uuid.UUID, name: str) -> bool:
        result = await self._call("match_name", {"party_id": str(party_id), "name": name})
        return bool(result["matches"])


def _age_check(party_id: uuid.UUID, on: date | None, answer: Any) -> AgeCheck | None:
    """Identity's age answer for `on`; a missing one stays None, which the age rule refuses."""
    if on is None or answer is None:
        return None
    return AgeCheck(party_id=party_id, on=on, eligible=answer["eligible"], reason=answer["reason"])
