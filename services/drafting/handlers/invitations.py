"""Inviting the counterparty: issue, re-issue, revoke, accept."""

from __future__ import annotations

import secrets

from services.drafting import api
from services.drafting.domain import invitations
from services.drafting.handlers.base import DraftingBase, note_ref, party_facts, refusals


class InvitationCommands(DraftingBase):
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
        await self._save(note.note_id, note, invited, request.actor_party_id, invitation=hashed)
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
        return note_ref(await self._save(note.note_id, note, revoked, request.actor_party_id))

    @refusals
    async def accept_invitation(self, request: api.AcceptInvitation) -> api.NoteRef:
        hashed = invitations.token_hash(request.token)
        stored = await self.store.load_invited(hashed)
        if stored is None:
            raise invitations.unknown_invitation()
        note = stored.note
        invitations.require_usable(note, hashed, self.clock())
        name = self._contact(stored).display_name
        profile = await self.identity.party_profile(request.party_id, note.start_date, name)
        invitee = party_facts(profile)
        matches = bool(profile.name_matches)
        joined = invitations.accept(note, hashed, invitee, matches, self.clock())
        return note_ref(await self._save(note.note_id, note, joined, request.party_id))
