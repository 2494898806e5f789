"""Commands on the note's terms: each checks the rules and returns the events it decides.

The state machine is documented in `note`; invitations are in `invitations`, freezing and
locking in `freezing`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.drafting.domain.errors import InvalidTerms, NotAllowed, NotFound
from services.drafting.domain.lpr import LprTable
from services.drafting.domain.note import Note, Status
from services.drafting.domain.parties import PartyFacts, require_age, require_verified
from services.drafting.domain.rules import Terms, checked_terms
from services.drafting.domain.templates import DISCLAIMER, TemplateText
from shared.catalogue.drafting import (
    AgeCheck,
    CancelReason,
    CounterpartyContactAmended,
    IouTerms,
    NoteCancelled,
    NoteDrafted,
    NoteTermsAmended,
)


def require_disclaimer(accepted_version: str | None) -> None:
    if accepted_version != DISCLAIMER.version:
        raise NotAllowed(
            "accepted_disclaimer_version",
            "disclaimer_not_accepted",
            f"the current disclaimer (version {DISCLAIMER.version}) must be accepted first",
            f"请先阅读并同意最新的免责声明（版本 {DISCLAIMER.version}）",
        )


def _ages(terms: Terms, parties: dict[str, PartyFacts]) -> tuple[AgeCheck, ...]:
    if not isinstance(terms, IouTerms):
        return ()
    return tuple(
        require_age(facts.age_check, role, terms.start_date) for role, facts in parties.items()
    )


def draft_note(
    template: TemplateText,
    accepted_disclaimer_version: str | None,
    accepted_at: datetime,
    initiator: PartyFacts,
    contact_commitment: str,
    terms: Terms,
    lpr: LprTable,
) -> NoteDrafted:
    require_disclaimer(accepted_disclaimer_version)
    terms, rate_check = checked_terms(terms, lpr)
    commitment = require_verified(initiator, "initiator")
    return NoteDrafted(
        note_version=1,
        template=template.template,
        template_version=template.version,
        template_text=template.text,
        disclaimer_version=DISCLAIMER.version,
        disclaimer_accepted_at=accepted_at,
        initiator_party_id=initiator.party_id,
        initiator_identity_commitment=commitment,
        contact_commitment=contact_commitment,
        terms=terms,
        rate_check=rate_check,
        age_checks=_ages(terms, {"initiator": initiator}),
    )


def require_initiator_can_change(note: Note, actor: uuid.UUID) -> None:
    """Only the initiator changes a note, and only before anybody signed it. A stranger is
    told the note does not exist, so that note ids cannot be probed."""
    if actor not in note.party_ids():
        raise NotFound("note_id", "note_not_found", "no such note", "借条不存在")
    if actor != note.initiator_party_id:
        raise NotAllowed(
            "actor_party_id",
            "not_initiator",
            "only the initiator may do this",
            "仅发起人可执行此操作",
        )
    if note.status is Status.LOCKED:
        raise NotAllowed(
            None,
            "terms_locked",
            "a party has signed: the terms are final",
            "已有一方签署，条款不可再修改",
        )
    if note.status is Status.CANCELLED:
        raise NotAllowed(None, "note_cancelled", "the note was cancelled", "该借条已取消")
    if note.status is Status.DECLINED:
        raise NotAllowed(
            None, "note_declined", "the counterparty declined to sign", "相对方已拒绝签署"
        )


def amend_terms(
    note: Note, actor: uuid.UUID, terms: Terms, lpr: LprTable, parties: dict[str, PartyFacts]
) -> NoteTermsAmended:
    """`parties` maps "initiator" (and "counterparty" once joined) to fresh identity answers."""
    require_initiator_can_change(note, actor)
    if terms.template != note.template or terms.initiator_role != note.initiator_role:
        raise InvalidTerms(
            "terms.template",
            "template_or_role_changed",
            "the template and the initiator's role cannot change: cancel and draft a new note",
            "模板和发起人身份不可修改，请取消后重新起草",
        )
    terms, rate_check = checked_terms(terms, lpr)
    return NoteTermsAmended(
        note_version=note.note_version + 1,
        terms=terms,
        rate_check=rate_check,
        age_checks=_ages(terms, parties),
    )


def amend_contact(
    note: Note, actor: uuid.UUID, contact_commitment: str, name_matches: bool | None
) -> CounterpartyContactAmended:
    require_initiator_can_change(note, actor)
    return CounterpartyContactAmended(
        note_version=note.note_version + 1,
        contact_commitment=contact_commitment,
        name_matches=name_matches if note.counterparty else None,
    )


def cancel_note(note: Note, actor: uuid.UUID, reason: CancelReason) -> NoteCancelled:
    require_initiator_can_change(note, actor)
    return NoteCancelled(cancelled_by=actor, reason=reason)
