"""Reads for the gateway: the note as its parties see it, and the live preview of terms."""

from __future__ import annotations

from services.drafting import api
from services.drafting.handlers.base import DraftingBase, not_found, refusals
from services.drafting.views import note_view, preview


class Queries(DraftingBase):
    @refusals
    async def get_note(self, request: api.NoteCommand) -> api.NoteView:
        stored = await self.store.load_with_contact(request.note_id)
        if stored is None or request.actor_party_id not in stored.note.party_ids():
            raise not_found()  # the same answer either way: ids are not probed
        note, contact = stored.note, self._contact(stored)
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
