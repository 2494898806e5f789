"""The identity service as signing uses it: redeem a ticket, read a party's profile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal, Protocol

from services.signing.domain.keys import Authorisation
from shared.commands import CommandClient

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

    async def redeem_ticket(
        self,
        ticket: str,
        party_id: uuid.UUID,
        note_id: uuid.UUID,
        document_digest: str,
        purpose: Purpose,
    ) -> Authorisation:
        result = await self.commands.call(
            "identity",
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
        result = await self.commands.call("identity", "party_profile", {"party_id": str(party_id)})
        return PartyProfile(party_id, bool(result["verified"]), result.get("commitment"))
