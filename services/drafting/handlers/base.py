"""What every handler shares: refusals as structured replies, loading, saving, asking identity."""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from typing import ParamSpec, TypeVar

from services.drafting import api
from services.drafting.adapters.vault import Contact, ContactVault
from services.drafting.domain import invitations
from services.drafting.domain.contact import normalised_contact
from services.drafting.domain.document import contact_commitment
from services.drafting.domain.errors import DomainError, NotFound
from services.drafting.domain.lpr import LprTable
from services.drafting.domain.note import Note
from services.drafting.domain.parties import PartyFacts
from services.drafting.domain.projector import fold
from services.drafting.domain.rules import Terms
from services.drafting.ports import IdentityPort, PartyProfile
from services.drafting.store import ContactRow, NoteStore, NoteWithContact, envelopes
from services.drafting.views import request_field
from shared.catalogue.drafting import IouTerms
from shared.commands import CommandRejected
from shared.events import EventPayload
from shared.logging import get_logger
from shared.store import ConcurrencyError

log = get_logger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
Clock = Callable[[], datetime]


def rejected(error: DomainError) -> CommandRejected:
    return CommandRejected(
        error.rule, error.message_en, message_zh=error.message_zh, field=request_field(error)
    )


def refusals(handler: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Domain refusals and lost races become the structured reply; nothing was saved."""

    @wraps(handler)
    async def handle(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await handler(*args, **kwargs)
        except DomainError as error:
            raise rejected(error) from error
        except ConcurrencyError as error:
            raise CommandRejected(
                "concurrent_update",
                "the note changed meanwhile; reload it and try again",
                message_zh="借条已被修改，请刷新后重试",
            ) from error

    return handle


def not_found() -> NotFound:
    return NotFound("note_id", "note_not_found", "no such note", "借条不存在")


def note_ref(note: Note) -> api.NoteRef:
    return api.NoteRef(
        note_id=note.note_id, note_version=note.note_version, status=note.status.value
    )


class DraftingBase:
    """Dependencies and helpers; the handlers live in the mixins of `Drafting`."""

    def __init__(
        self,
        store: NoteStore,
        identity: IdentityPort,
        vault: ContactVault,
        lpr: LprTable,
        *,
        invitation_validity: timedelta = invitations.DEFAULT_VALIDITY,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.identity = identity
        self.vault = vault
        self.lpr = lpr
        self.invitation_validity = invitation_validity
        self.clock = clock

    async def _note(self, note_id: uuid.UUID) -> Note:
        note = await self.store.load(note_id)
        if note is None:
            raise not_found()
        return note

    async def _save(
        self,
        note_id: uuid.UUID,
        before: Note | None,
        payload: EventPayload,
        actor: uuid.UUID,
        *,
        contact: ContactRow | None = None,
        invitation: str | None = None,
    ) -> Note:
        """Append `payload` after `before` (None: as the note's first event); the note after it."""
        after = before.stream_version if before else 0
        events = envelopes(note_id, after, [payload], uuid.uuid4(), f"party:{actor}")
        await self.store.save(events, contact=contact, invitation=invitation)
        saved = fold(events, before)
        assert saved is not None
        return saved

    async def _facts(self, party_id: uuid.UUID, start: date | None) -> PartyFacts:
        return party_facts(await self.identity.party_profile(party_id, age_on=start))

    def _sealed_contact(
        self, note_id: uuid.UUID, contact: api.ContactIn
    ) -> tuple[str, ContactRow, str]:
        name, phone = normalised_contact(contact.display_name, contact.phone)
        salt = os.urandom(32)
        commitment = contact_commitment(name, phone, salt)
        sealed = self.vault.seal(note_id, commitment, Contact(name, phone, salt))
        return commitment, ContactRow(commitment, sealed), name

    def _contact(self, stored: NoteWithContact) -> Contact:
        note = stored.note
        return self.vault.open(note.note_id, note.contact_commitment, stored.sealed)

    @staticmethod
    def _start(terms: Terms) -> date | None:
        return terms.start_date if isinstance(terms, IouTerms) else None


def party_facts(profile: PartyProfile) -> PartyFacts:
    """What drafting's rules need of a party, from identity's answer about it."""
    return PartyFacts(profile.party_id, profile.verified, profile.commitment, profile.age)
