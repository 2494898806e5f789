"""A signing context on the real database, an in-process identity double, a settable clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.signing.adapters.identity import Purpose
from services.signing.app import build_context
from services.signing.application import drafting, signing
from services.signing.application import models as m
from services.signing.application.context import SigningContext
from services.signing.domain.keys import Authorisation
from services.signing.settings import SigningSettings
from shared.commands import CommandRejected
from shared.events import Envelope, EventPayload
from shared.store import EventStore
from tests.signing.support import T0, Note, commitment, handwriting_input


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class FakeIdentity:
    """Identity as signing sees it: tickets bound to party, note, digest and purpose, used once."""

    tickets: dict[str, tuple[uuid.UUID, uuid.UUID, str, str]] = field(default_factory=dict)
    redeemed: set[str] = field(default_factory=set)
    refuse_with: str | None = None
    unverified: set[uuid.UUID] = field(default_factory=set)

    def issue(
        self, party_id: uuid.UUID, note_id: uuid.UUID, digest: str, purpose: str = "sign"
    ) -> str:
        ticket = f"jt1.{uuid.uuid4().hex}"
        self.tickets[ticket] = (party_id, note_id, digest, purpose)
        return ticket

    async def redeem_ticket(
        self,
        ticket: str,
        party_id: uuid.UUID,
        note_id: uuid.UUID,
        document_digest: str,
        purpose: Purpose,
        identity_commitment: str,
    ) -> Authorisation:
        if party_id in self.unverified or identity_commitment != commitment(party_id):
            raise CommandRejected("identity_mismatch", "not the note's identity", field="party_id")
        if self.refuse_with:
            raise CommandRejected(self.refuse_with, "refused", field="ticket")
        bound = self.tickets.get(ticket)
        if bound is None:
            raise CommandRejected("ticket_invalid", "unknown ticket", field="ticket")
        for given, wanted, code in zip(
            (party_id, note_id, document_digest, purpose),
            bound,
            (
                "ticket_wrong_party",
                "ticket_wrong_note",
                "ticket_wrong_digest",
                "ticket_wrong_purpose",
            ),
            strict=True,
        ):
            if given != wanted:
                raise CommandRejected(code, "mismatch", field="ticket")
        if ticket in self.redeemed:
            raise CommandRejected("ticket_replayed", "used", field="ticket")
        self.redeemed.add(ticket)
        return Authorisation(party_id, uuid.uuid4(), "face")


def signing_context(pool: Any, schema: str, identity: FakeIdentity, clock: Clock) -> SigningContext:
    settings = SigningSettings(void_ttl_days=30)
    return build_context(EventStore(pool, schema), identity, "test", settings, clock)


async def feed(ctx: SigningContext, note_id: uuid.UUID, payload: EventPayload) -> None:
    """Hand one of drafting's events to signing's consumer, as JetStream would."""
    envelope = Envelope.new(
        payload, stream_id=note_id, version=1, correlation_id=uuid.uuid4(), actor="t"
    )
    async with ctx.store.transaction() as tx:
        await drafting.record(ctx, envelope, tx)


def sign_request(
    identity: FakeIdentity, note: Note, party: uuid.UUID, **changes: Any
) -> m.SignRequest:
    body: dict[str, Any] = {
        "note_id": note.note_id,
        "party_id": party,
        "document_digest": note.digest,
        "ticket": identity.issue(party, note.note_id, note.digest),
        "intent_confirmed": True,
        "handwriting": handwriting_input(),
    }
    return m.SignRequest.model_validate({**body, **changes})


async def completed(ctx: SigningContext, identity: FakeIdentity, note: Note) -> m.SignResult:
    await feed(ctx, note.note_id, note.frozen())
    await signing.sign(ctx, sign_request(identity, note, note.initiator))
    await feed(ctx, note.note_id, note.locked())
    return await signing.sign(ctx, sign_request(identity, note, note.counterparty))


def void_request(
    identity: FakeIdentity, note: Note, party: uuid.UUID, final_digest: str, **changes: Any
) -> m.RequestVoidRequest:
    body: dict[str, Any] = {
        "note_id": note.note_id,
        "party_id": party,
        "reason_code": "settled",
        "ticket": identity.issue(party, note.note_id, final_digest, "void"),
        "intent_confirmed": True,
        "handwriting": handwriting_input(),
    }
    return m.RequestVoidRequest.model_validate({**body, **changes})


def sign_void_request(
    identity: FakeIdentity, note: Note, party: uuid.UUID, final_digest: str, void_id: uuid.UUID
) -> m.SignVoidRequest:
    return m.SignVoidRequest(
        note_id=note.note_id,
        party_id=party,
        void_id=void_id,
        ticket=identity.issue(party, note.note_id, final_digest, "void"),
        intent_confirmed=True,
        handwriting=m.HandwritingInput.model_validate(handwriting_input()),
    )
