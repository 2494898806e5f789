"""Inviting the counterparty: an unguessable bearer token of which only the hash is kept.

The token (from `secrets.token_urlsafe(32)`, 256 random bits) goes to the initiator once, in the
command's reply, to pass on to the counterparty. Events and tables hold only its SHA-256: with
that much entropy a fast hash is enough, and a leaked hash lets nobody join.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from services.drafting.domain.decisions import require_initiator_can_change
from services.drafting.domain.errors import InvitationInvalid, NotAllowed
from services.drafting.domain.note import Note
from services.drafting.domain.parties import PartyFacts, require_age, require_verified
from shared.catalogue.drafting import CounterpartyInvited, CounterpartyJoined, InvitationRevoked

DEFAULT_VALIDITY = timedelta(days=7)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_open_seat(note: Note, actor: uuid.UUID) -> None:
    require_initiator_can_change(note, actor)
    if note.counterparty is not None:
        raise NotAllowed(
            None,
            "counterparty_already_joined",
            "the counterparty has already joined",
            "相对方已加入",
        )


def invite(
    note: Note, actor: uuid.UUID, hashed: str, now: datetime, validity: timedelta, *, reissue: bool
) -> CounterpartyInvited:
    """A first invitation, or (`reissue`) a new token that replaces the current one."""
    _require_open_seat(note, actor)
    current = note.invitation
    if not reissue and current is not None and current.active(now):
        raise NotAllowed(
            None,
            "invitation_active",
            "an invitation is still active: re-issue or revoke it",
            "已有有效邀请，请重新发送或撤回",
        )
    if reissue and current is None:
        raise NotAllowed(
            None, "no_invitation", "there is no invitation to re-issue", "尚无可重新发送的邀请"
        )
    return CounterpartyInvited(token_hash=hashed, expires_at=now + validity)


def revoke(note: Note, actor: uuid.UUID, now: datetime) -> InvitationRevoked:
    _require_open_seat(note, actor)
    if note.invitation is None or not note.invitation.active(now):
        raise NotAllowed(
            None, "no_active_invitation", "there is no active invitation", "没有有效的邀请"
        )
    return InvitationRevoked(token_hash=note.invitation.token_hash)


def _refuse_token(rule: str, en: str, zh: str) -> InvitationInvalid:
    return InvitationInvalid("token", rule, en, zh)


def unknown_invitation() -> InvitationInvalid:
    return _refuse_token("unknown_invitation", "this invitation is not valid", "邀请无效")


def require_usable(note: Note, hashed: str, now: datetime) -> None:
    invitation = note.invitation
    if invitation is None or invitation.token_hash != hashed:
        raise unknown_invitation()
    if note.counterparty is not None or invitation.revoked:
        raise _refuse_token(
            "invitation_revoked", "this invitation was revoked or used", "邀请已撤回或已被使用"
        )
    if now >= invitation.expires_at:
        raise _refuse_token("invitation_expired", "this invitation has expired", "邀请已过期")
    require_initiator_can_change(note, note.initiator_party_id)


def accept(
    note: Note, hashed: str, invitee: PartyFacts, name_matches: bool, now: datetime
) -> CounterpartyJoined:
    """The invitee joins. A name mismatch does not stop them joining; it stops the freeze."""
    require_usable(note, hashed, now)
    if invitee.party_id == note.initiator_party_id:
        raise NotAllowed(
            "party_id",
            "self_invitation",
            "you cannot accept your own invitation",
            "不能接受自己发出的邀请",
        )
    commitment = require_verified(invitee, "counterparty")
    start = note.start_date
    ages = () if start is None else (require_age(invitee.age_check, "counterparty", start),)
    return CounterpartyJoined(
        party_id=invitee.party_id,
        role=note.counterparty_role,
        identity_commitment=commitment,
        token_hash=hashed,
        name_matches=name_matches,
        age_checks=ages,
    )
