"""What the gateway shows: the live preview of terms, and the note as its parties see it."""

from __future__ import annotations

from decimal import Decimal

from services.drafting.api import (
    CounterpartyView,
    InstalmentOut,
    InvitationView,
    NoteView,
    PreviewResult,
    Problem,
    Totals,
)
from services.drafting.domain.contact import masked_phone
from services.drafting.domain.errors import DomainError, InvalidTerms
from services.drafting.domain.lpr import LprTable
from services.drafting.domain.money import MAX_CAPITALS, capitals, has_fen_precision
from services.drafting.domain.note import Note
from services.drafting.domain.rules import Terms, checked_terms, problems
from services.drafting.domain.schedule import schedule
from services.drafting.ports import PartyProfile
from shared.catalogue.drafting import IouTerms


def request_field(error: DomainError) -> str | None:
    """The refused field as the request names it: term rules name fields inside `terms`."""
    if isinstance(error, InvalidTerms) and error.field and "." not in error.field:
        return f"terms.{error.field}"
    return error.field


def problem(error: DomainError) -> Problem:
    return Problem(
        field=request_field(error),
        rule=error.rule,
        message=error.message_en,
        message_zh=error.message_zh,
    )


def _capitals(terms: Terms) -> dict[str, str]:
    amounts = (
        {"principal": terms.principal, "delivered_amount": terms.delivered_amount}
        if isinstance(terms, IouTerms)
        else {"amount": terms.amount}
    )
    return {
        name: capitals(value)
        for name, value in amounts.items()
        if value is not None and has_fen_precision(value) and 0 <= value <= MAX_CAPITALS
    }


def _schedule(terms: IouTerms) -> tuple[list[InstalmentOut], Totals]:
    rows = [
        InstalmentOut(
            number=i.number,
            due_on=i.due_on,
            principal=i.principal,
            interest=i.interest,
            payment=i.payment,
            remaining=i.remaining,
            payment_capitals=capitals(i.payment),
        )
        for i in schedule(terms)
    ]
    interest = sum((r.interest for r in rows), Decimal("0.00"))
    payment = terms.principal + interest
    totals = Totals(
        principal=terms.principal,
        interest=interest,
        payment=payment,
        interest_capitals=capitals(interest),
        payment_capitals=capitals(payment),
    )
    return rows, totals


def preview(terms: Terms, lpr: LprTable) -> PreviewResult:
    """Every problem of the terms; for valid IOU terms also the schedule and its totals."""
    rate_check, found = problems(terms, lpr)
    result = PreviewResult(
        valid=not found,
        problems=[problem(p) for p in found],
        capitals=_capitals(terms),
        rate_check=rate_check,
    )
    if found or not isinstance(terms, IouTerms):
        return result
    normal, _ = checked_terms(terms, lpr)
    assert isinstance(normal, IouTerms)
    rows, totals = _schedule(normal)
    return result.model_copy(
        update={
            "capitals": _capitals(normal),
            "interest_free": normal.annual_rate_percent == 0,
            "schedule": rows,
            "totals": totals,
        }
    )


def note_view(
    note: Note,
    display_name: str,
    phone: str,
    counterparty: PartyProfile | None,
    lpr: LprTable,
    invitation_active: bool,
) -> NoteView:
    joined = note.counterparty
    return NoteView(
        note_id=note.note_id,
        status=note.status.value,
        note_version=note.note_version,
        template=note.template,
        template_version=note.template_version,
        template_text=note.template_text,
        disclaimer_version=note.disclaimer_version,
        disclaimer_accepted_at=note.disclaimer_accepted_at,
        initiator_party_id=note.initiator_party_id,
        initiator_role=note.initiator_role,
        counterparty=CounterpartyView(
            role=note.counterparty_role,
            display_name=display_name,
            phone_masked=masked_phone(phone),
            joined=joined is not None,
            party_id=joined.party_id if joined else None,
            masked_id=counterparty.masked_id if counterparty else None,
            name_matches=joined.name_matches if joined else None,
        ),
        terms=note.terms,
        preview=preview(note.terms, lpr),
        invitation=InvitationView(expires_at=note.invitation.expires_at, active=invitation_active)
        if note.invitation
        else None,
        document_digest=note.document_digest,
    )
