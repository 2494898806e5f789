"""Commands on a note's terms and life: draft, amend, submit for signing, cancel."""

from __future__ import annotations

import uuid

from services.drafting import api
from services.drafting.domain import decisions, freezing
from services.drafting.domain.rules import checked_terms
from services.drafting.domain.templates import TEMPLATES
from services.drafting.handlers.base import DraftingBase, note_ref, refusals
from shared.catalogue.drafting import Template
from shared.commands import CommandRejected
from shared.store import ConcurrencyError


class NoteCommands(DraftingBase):
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
        try:
            saved = await self._save(note_id, None, drafted, request.actor_party_id, contact=row)
        except ConcurrencyError as error:  # a first event appends only to an empty stream
            raise CommandRejected(
                "note_exists",
                "a note with this id exists",
                message_zh="借条已存在",
                field="note_id",
            ) from error
        return note_ref(saved)

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
        return note_ref(await self._save(note.note_id, note, amended, request.actor_party_id))

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
        saved = await self._save(note.note_id, note, amended, request.actor_party_id, contact=row)
        return note_ref(saved)

    @refusals
    async def submit_for_signing(self, request: api.NoteCommand) -> api.Frozen:
        note = await self._note(request.note_id)
        frozen = freezing.submit_for_signing(note, request.actor_party_id)
        await self._save(note.note_id, note, frozen, request.actor_party_id)
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
        return note_ref(await self._save(note.note_id, note, cancelled, request.actor_party_id))
