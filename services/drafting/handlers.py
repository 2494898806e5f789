"""Command handlers: gather what the outside world says, let the domain decide, save atomically."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from typing import ParamSpec, TypeVar

from services.drafting import api
from services.drafting.adapters.vault import Contact, ContactVault
from services.drafting.domain import decisions, invitations
from services.drafting.domain.contact import normalised_contact
from services.drafting.domain.document import contact_commitment
from services.drafting.domain.errors import DomainError, NotFound
from services.drafting.domain.lpr import LprTable
from services.drafting.domain.note import Note
from services.drafting.domain.parties import PartyFacts
from services.drafting.domain.rules import Terms, checked_terms
from services.drafting.domain.templates import TEMPLATES
from services.drafting.ports import IdentityPort
from services.drafting.store import ContactRow, NoteStore, envelopes, read_note
from services.drafting.views import note_view, preview, request_field
from shared.catalogue.drafting import IouTerms, Template
from shared.catalogue.signing import PartySigned
from shared.commands import CommandRejected
from shared.events import Envelope, EventPayload
from shared.logging import get_logger
from shared.store import ConcurrencyError, Transaction

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


def _not_found() -> NotFound:
    return NotFound("note_id", "note_not_found", "no such note", "借条不存在")


def _ref(note_id: uuid.UUID, note: Note | None) -> api.NoteRef:
    assert note is not None
    return api.NoteRef(note_id=note_id, note_version=note.note_version, status=note.status.value)


class Drafting:
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
            raise _not_found()
        return note

    async def _save(
        self,
        note_id: uuid.UUID,
        after: int,
        payload: EventPayload,
        actor: uuid.UUID,
        *,
        contact: ContactRow | None = None,
        invitation: str | None = None,
    ) -> Note | None:
        events = envelopes(note_id, after, [payload], uuid.uuid4(), f"party:{actor}")
        await self.store.save(events, contact=contact, invitation=invitation)
        return await self.store.load(note_id)

    async def _facts(self, party_id: uuid.UUID, start: date | None) -> PartyFacts:
        profile = await self.identity.party_profile(party_id)
        age = await self.identity.check_age(party_id, start) if start else None
        return PartyFacts(party_id, profile.verified, profile.commitment, age)

    def _sealed_contact(
        self, note_id: uuid.UUID, contact: api.ContactIn
    ) -> tuple[str, ContactRow, str]:
        name, phone = normalised_contact(contact.display_name, contact.phone)
        salt = os.urandom(32)
        commitment = contact_commitment(name, phone, salt)
        sealed = self.vault.seal(note_id, commitment, Contact(name, phone, salt))
        return commitment, ContactRow(note_id, commitment, sealed), name

    async def _contact(self, note: Note) -> Contact:
        sealed = await self.store.sealed_contact(note.note_id, note.contact_commitment)
        assert sealed is not None, "every contact commitment has its sealed row"
        return self.vault.open(note.note_id, note.contact_commitment, sealed)

    @staticmethod
    def _start(terms: Terms) -> date | None:
        return terms.start_date if isinstance(terms, IouTerms) else None

    @refusals
    async def draft_note(self, request: api.DraftNote) -> api.NoteRef:
        note_id = request.note_id or uuid.uuid4()
        checked_terms(request.terms, self.lpr)  # refuse bad terms before asking identity anything
        commitment, row, _ = self._sealed_contact(note_id, request.counterparty)
        initiator = await self._facts(request.actor_party_id, self._start(request.terms))
        drafted = decisions.draft_note(
            TEMPLATES[Template(request.terms.template)],
            request.accepted_disclaimer_version,
            self.clock(),
            initiator,
            commitment,
            request.terms,
            self.lpr,
        )
        if await self.store.events.stream_version(note_id):
            raise CommandRejected(
                "note_exists",
                "a note with this id exists",
                message_zh="借条已存在",
                field="note_id",
            )
        return _ref(
            note_id, await self._save(note_id, 0, drafted, request.actor_party_id, contact=row)
        )

    @refusals
    async def amend_terms(self, request: api.AmendTerms) -> api.NoteRef:
        note = await self._note(request.note_id)
        decisions.require_initiator_can_change(note, request.actor_party_id)
        checked_terms(request.terms, self.lpr)
        start = self._start(request.terms)
        parties = {"initiator": await self._facts(note.initiator_party_id, start)}
        if note.counterparty is not None:
            parties["counterparty"] = await self._facts(note.counterparty.party_id, start)
        amended = decisions.amend_terms(
            note, request.actor_party_id, request.terms, self.lpr, parties
        )
        saved = await self._save(note.note_id, note.stream_version, amended, request.actor_party_id)
        return _ref(note.note_id, saved)

    @refusals
    async def amend_counterparty_contact(
        self, request: api.AmendCounterpartyContact
    ) -> api.NoteRef:
        note = await self._note(request.note_id)
        decisions.require_initiator_can_change(note, request.actor_party_id)
        commitment, row, name = self._sealed_contact(note.note_id, request.counterparty)
        matches = (
            await self.identity.match_name(note.counterparty.party_id, name)
            if note.counterparty
            else None
        )
        amended = decisions.amend_contact(note, request.actor_party_id, commitment, matches)
        saved = await self._save(
            note.note_id, note.stream_version, amended, request.actor_party_id, contact=row
        )
        return _ref(note.note_id, saved)

    async def _invite(self, request: api.NoteCommand, *, reissue: bool) -> api.InvitationIssued:
        note = await self._note(request.note_id)
        token = secrets.token_urlsafe(32)
        hashed = invitations.token_hash(token)
        invited = invitations.invite(
            note,
            request.actor_party_id,
            hashed,
            self.clock(),
            self.invitation_validity,
            reissue=reissue,
        )
        await self._save(
            note.note_id, note.stream_version, invited, request.actor_party_id, invitation=hashed
        )
        return api.InvitationIssued(
            note_id=note.note_id, token=token, expires_at=invited.expires_at
        )

    @refusals
    async def invite_counterparty(self, request: api.NoteCommand) -> api.InvitationIssued:
        return await self._invite(request, reissue=False)

    @refusals
    async def reissue_invitation(self, request: api.NoteCommand) -> api.InvitationIssued:
        return await self._invite(request, reissue=True)

    @refusals
    async def revoke_invitation(self, request: api.NoteCommand) -> api.NoteRef:
        note = await self._note(request.note_id)
        revoked = invitations.revoke(note, request.actor_party_id, self.clock())
        return _ref(
            note.note_id,
            await self._save(note.note_id, note.stream_version, revoked, request.actor_party_id),
        )

    @refusals
    async def accept_invitation(self, request: api.AcceptInvitation) -> api.NoteRef:
        hashed = invitations.token_hash(request.token)
        note_id = await self.store.note_of_invitation(hashed)
        note = await self.store.load(note_id) if note_id else None
        if note is None:
            raise invitations.unknown_invitation()
        invitations.require_usable(note, hashed, self.clock())
        invitee = await self._facts(request.party_id, note.start_date)
        contact = await self._contact(note)
        matches = await self.identity.match_name(request.party_id, contact.display_name)
        joined = invitations.accept(note, hashed, invitee, matches, self.clock())
        return _ref(
            note.note_id,
            await self._save(note.note_id, note.stream_version, joined, request.party_id),
        )

    @refusals
    async def submit_for_signing(self, request: api.NoteCommand) -> api.Frozen:
        note = await self._note(request.note_id)
        frozen = decisions.submit_for_signing(note, request.actor_party_id)
        await self._save(note.note_id, note.stream_version, frozen, request.actor_party_id)
        return api.Frozen(
            note_id=note.note_id,
            note_version=frozen.note_version,
            document_digest=frozen.document_digest,
            document=frozen.document,
        )

    @refusals
    async def cancel_note(self, request: api.CancelNote) -> api.NoteRef:
        note = await self._note(request.note_id)
        cancelled = decisions.cancel_note(note, request.actor_party_id, request.reason)
        return _ref(
            note.note_id,
            await self._save(note.note_id, note.stream_version, cancelled, request.actor_party_id),
        )

    @refusals
    async def get_note(self, request: api.NoteCommand) -> api.NoteView:
        note = await self.store.load(request.note_id)
        if note is None or request.actor_party_id not in note.party_ids():
            raise _not_found()  # the same answer either way: ids are not probed
        contact = await self._contact(note)
        profile = (
            await self.identity.party_profile(note.counterparty.party_id)
            if note.counterparty
            else None
        )
        active = note.invitation is not None and note.invitation.active(self.clock())
        return note_view(note, contact.display_name, contact.phone, profile, self.lpr, active)

    @refusals
    async def preview(self, request: api.Preview) -> api.PreviewResult:
        return preview(request.terms, self.lpr)

    async def on_party_signed(self, envelope: Envelope, tx: Transaction) -> None:
        """Lock the note's terms on the first valid signature (consumer of signing's events)."""
        signed = envelope.payload
        assert isinstance(signed, PartySigned)
        note = await read_note(tx.conn, tx.schema, signed.note_id)
        signature = decisions.Signature(
            signed.note_version, signed.party_id, signed.document_digest, envelope.event_id
        )
        locked = decisions.lock_on_signature(note, signature) if note else []
        if not locked or note is None:
            log.info("signature does not lock a note", note_version=signed.note_version)
            return
        await tx.append(
            envelopes(
                note.note_id,
                note.stream_version,
                locked,
                envelope.correlation_id,
                "drafting",
                envelope.event_id,
            )
        )
