"""The identity service as signing uses it: redeem a ticket, read a party's profile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import nats.errors

from services.signing.domain.keys import Authorisation
from shared.commands import CommandClient, CommandRejected

Purpose = Literal["sign", "void"]


@dataclass(frozen=True)
class PartyProfile:
    party_id: uuid.UUID
    verified: bool
    commitment: str | None


class IdentityPort(Protocol):
    async def redeem_ticket(
        self,
        ticket: str,
        party_id: uuid.UUID,
        note_id: uuid.UUID,
        document_digest: str,
        purpose: Purpose,
    ) -> Authorisation:
        """The authorisation, or `CommandRejected` with identity's `ticket_*` code."""
        ...

    async def party_profile(self, party_id: uuid.UUID) -> PartyProfile: ...


class NatsIdentity:
    """Identity's commands over NATS request/reply; its refusals pass through unchanged."""

    def __init__(self, commands: CommandClient) -> None:
        self.commands = commands

    async def _call(self, name: str, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.commands.call("identity", name, request)
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError) as error:
            raise CommandRejected(
                "identity_unavailable",
                "the identity service did not answer; try again",
                message_zh="实名认证服务暂时不可用，请稍后重试",
            ) from error

    async def redeem_ticket(
        self,
        ticket: str,
        party_id: uuid.UUID,
        note_id: uuid.UUID,
        document_digest: str,
        purpose: Purpose,
    ) -> Authorisation:
        result = await self._call(
            "redeem_ticket",
            {
                "ticket": ticket,
                "party_id": str(party_id),
                "note_id": str(note_id),
                "document_digest": document_digest,
                "purpose": purpose,
            },
        )
        return Authorisation(party_id, uuid.UUID(result["ticket_id"]), str(result["method"]))

    async def party_profile(self, party_id: uuid.UUID) -> PartyProfile:
        result = await self._call("party_profile", {"party_id": str(party_id)})
        return PartyProfile(party_id, bool(result["verified"]), result.get("commitment"))
