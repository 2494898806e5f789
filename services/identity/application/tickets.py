"""Signing tickets: issued after a fresh presence check, redeemed exactly once."""

from __future__ import annotations

import base64
import dataclasses
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.identity.adapters import codes_sql, postgres
from services.identity.application.context import IdentityContext, correlation_id, unknown_party
from services.identity.application.models import (
    IssueTicket,
    NoArguments,
    RedeemTicket,
    TicketIssued,
    TicketPublicKey,
    TicketRedeemed,
)
from services.identity.domain.errors import Refusal
from services.identity.domain.party import issue_ticket, redeem_ticket, refuse_unless_verified
from services.identity.domain.redemption import (
    RedemptionRequest,
    refuse_unless_identity,
    refuse_unless_redeemable,
    replayed,
)
from services.identity.domain.tickets import TicketClaims, decode_ticket, encode_ticket
from shared.catalogue.identity import TicketKeyPublished
from shared.store import ConcurrencyError


def ticket_key_stream(kid: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"jietiao:identity:ticket-key:{kid}")


def _check_required() -> Refusal:
    return Refusal(
        "check_required",
        "verify by face, or by SMS code and bank card, just before signing",
        message_zh="签署前请先完成人脸核验，或短信验证码加银行卡核验",
        field="party_id",
    )


class Tickets:
    def __init__(self, ctx: IdentityContext) -> None:
        self.ctx = ctx
        self.public_key: Ed25519PublicKey = ctx.keys.ticket_key.public_key()
        self._key_published = False

    async def issue(self, request: IssueTicket) -> TicketIssued:
        await self._publish_key()
        now, party_id = self.ctx.now(), request.party_id
        claims = TicketClaims(
            ticket_id=uuid.uuid4(),
            party_id=party_id,
            note_id=request.note_id,
            document_digest=request.document_digest,
            purpose=request.purpose,
            method="",
            issued_at=now,
            expires_at=now + self.ctx.seconds(self.ctx.settings.ticket_ttl_seconds),
            kid=self.ctx.keys.ticket_kid,
        )
        async with self.ctx.store.transaction() as tx:
            # A refusal rolls back the use of the check along with the rest.
            locked = await postgres.lock_party(tx, party_id, take_check=(claims.ticket_id, now))
            if locked is None:
                raise unknown_party()
            refuse_unless_verified(locked.party)
            if locked.check_method is None:
                raise _check_required()
            claims = dataclasses.replace(claims, method=locked.check_method)
            events = issue_ticket(locked.party, claims)
            await postgres.append_to_stream(
                tx, party_id, events, correlation_id(), now, after=locked.version
            )
        ticket = encode_ticket(claims, self.ctx.keys.ticket_key)
        return TicketIssued(
            ticket=ticket,
            ticket_id=claims.ticket_id,
            method=claims.method,
            expires_at=claims.expires_at,
        )

    async def redeem(self, request: RedeemTicket) -> TicketRedeemed:
        claims = decode_ticket(request.ticket, {self.ctx.keys.ticket_kid: self.public_key})
        wanted = RedemptionRequest(
            request.party_id, request.note_id, request.document_digest, request.purpose
        )
        now = self.ctx.now()
        refuse_unless_redeemable(claims, wanted, now)
        verified = await postgres.identity_commitment(
            self.ctx.store.pool, self.ctx.schema, claims.party_id
        )
        refuse_unless_identity(request.identity_commitment, verified)
        # Numbered from 1: the database appends them after the version it reads under the lock.
        events = postgres.new_events(
            claims.party_id, redeem_ticket(claims), correlation_id(), now, after=0
        )
        store = self.ctx.store
        if not await codes_sql.redeem_ticket(store, claims.ticket_id, claims.note_id, now, events):
            raise replayed()
        return TicketRedeemed(ticket_id=claims.ticket_id, method=claims.method)

    async def public_key_info(self, _: NoArguments) -> TicketPublicKey:
        await self._publish_key()
        raw = self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        pem = self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return TicketPublicKey(
            kid=self.ctx.keys.ticket_kid,
            algorithm="Ed25519",
            public_key=base64.b64encode(raw).decode(),
            public_key_pem=pem.decode(),
        )

    async def _publish_key(self) -> None:
        """Publish `TicketKeyPublished` once per key, whichever replica gets there first."""
        if self._key_published:
            return
        kid = self.ctx.keys.ticket_kid
        stream = ticket_key_stream(kid)
        if await self.ctx.store.stream_version(stream) == 0:
            raw = self.public_key.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            event = TicketKeyPublished(kid=kid, public_key=base64.b64encode(raw).decode())
            try:
                async with self.ctx.store.transaction() as tx:
                    await postgres.append_to_stream(
                        tx, stream, [event], correlation_id(), self.ctx.now(), after=0
                    )
            except ConcurrencyError:
                pass  # another replica published it
        self._key_published = True
