"""The identity service as signing uses it: redeem a ticket, for the identity the note names."""

from __future__ import annotations

import uuid
from typing import Any, Literal, Protocol

import nats.errors

from services.signing.domain.keys import Authorisation
from shared.commands import CommandClient, CommandRejected

Purpose = Literal["sign", "void"]


class IdentityPort(Protocol):
    async def redeem_ticket(
        self,
        ticket: str,
        party_id: uuid.UUID,
        note_id: uuid.UUID,
        document_digest: str,
        purpose: Purpose,
        identity_commitment: str,
    ) -> Authorisation:
        """The authorisation, or `CommandRejected` with identity's `ticket_*` code, or
        `identity_mismatch` (before the ticket is spent) when the party's verified identity is
        not `identity_commitment`."""
        ...


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
        identity_commitment: str,
    ) -> Authorisation:
        result = await self._call(
            "redeem_ticket",
            {
                "ticket": ticket,
                "party_id": str(party_id),
                "note_id": str(note_id),
                "document_digest": document_digest,
                "purpose": purpose,
                "identity_commitment": identity_commitment,
            },
        )
        return Authorisation(party_id, uuid.UUID(result["ticket_id"]), str(result["method"]))
