"""The note's life: drafting, invitations, joining, freezing, locking, cancelling."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.drafting.domain import decisions, freezing, invitations
from services.drafting.domain.document import contact_commitment, document_digest
from services.drafting.domain.errors import DomainError
from services.drafting.domain.freezing import Signature
from services.drafting.domain.note import Note, Status
from services.drafting.domain.parties import PartyFacts
from services.drafting.domain.projector import fold
from services.drafting.domain.templates import DISCLAIMER, TEMPLATES
from shared.catalogue.drafting import IouTerms, Template
from shared.events import Envelope, EventPayload, digest
from tests.drafting.factories import SHIPPED_LPR, START, iou, party, receipt

NOW = datetime(2026, 2, 20, 8, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
CONTACT = contact_commitment("李四", "13800138000", b"\x01" * 32)


class Story:
    """A note's events so far, folded after each step."""

    def __init__(self, initiator: PartyFacts) -> None:
        self.initiator = initiator
        self.events: list[Envelope] = []

    def add(self, payload: EventPayload) -> Note:
        envelope = Envelope.new(
            payload,
            stream_id=self.note_id,
            version=len(self.events) + 1,
            correlation_id=uuid.uuid4(),
            actor="test",
        )
        self.events.append(envelope)
        return self.note

    note_id = uuid.UUID("00000000-0000-4000-8000-000000000001")

    @property
    def note(self) -> Note:
        note = fold(self.events)
        assert note is not None
        return note


def drafted(terms: IouTerms | None = None, initiator: PartyFacts | None = None) -> Story:
    story = Story(initiator or party())
    terms = terms or iou()
    payload = decisions.draft_note(
        TEMPLATES[Template.IOU],
        DISCLAIMER.version,
        NOW,
        story.initiator,
        CONTACT,
        terms,
        SHIPPED_LPR,
    )
    story.add(payload)
    return story


def joined(story: Story, invitee: PartyFacts | None = None, matches: bool = True) -> PartyFacts:
    invitee = invitee or party()
    story.add(
        invitations.invite(story.note, story.initiator.party_id, "h1", NOW, WEEK, reissue=False)
    )
    story.add(invitations.accept(story.note, "h1", invitee, matches, NOW))
    return invitee


class _Refused:
    def __init__(self, rule: str) -> None:
        self.rule = rule

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: object, _: object) -> bool:
        assert isinstance(error, DomainError), f"expected a refusal {self.rule}, got {error!r}"
        assert error.rule == self.rule, f"expected {self.rule}, got {error.rule}"
        assert error.message_zh
        assert error.message_en
        return True


def test_a_draft_records_the_template_disclaimer_rate_check_and_age() -> None:
    story = drafted()
    note = story.note
    [event] = story.events
    assert event.payload.model_dump()["template_text"] == TEMPLATES[Template.IOU].text
    assert note.status is Status.DRAFT
    assert note.note_version == 1
    assert note.disclaimer_version == DISCLAIMER.version
    assert note.disclaimer_accepted_at == NOW
    assert note.rate_check is not None
    assert note.rate_check.lpr_percent == Decimal("3.00")
    assert note.age_checks[story.initiator.party_id].on == START


def test_no_draft_without_the_current_disclaimer() -> None:
    for version in (None, "2020-01"):
        with _Refused("disclaimer_not_accepted"):
            decisions.draft_note(
                TEMPLATES[Template.IOU], version, NOW, party(), CONTACT, iou(), SHIPPED_LPR
            )


@pytest.mark.parametrize(("reason", "rule"), [("too_young", "too_young"), ("too_old", "too_old")])
def test_an_initiator_outside_22_to_60_on_the_start_date_is_refused(reason: str, rule: str) -> None:
    with _Refused(rule):
        drafted(initiator=party(eligible=False, reason=reason))


def test_an_age_answer_for_another_day_than_the_start_date_is_not_enough() -> None:
    with _Refused("age_not_checked"):
        drafted(initiator=party(on=START - timedelta(days=1)))


def test_an_unverified_initiator_is_refused() -> None:
    with _Refused("not_verified"):
        drafted(initiator=party(verified=False))


def test_receipts_need_no_age_check() -> None:
    initiator = party()
    initiator = PartyFacts(initiator.party_id, True, "cd" * 32, None)
    payload = decisions.draft_note(
        TEMPLATES[Template.RECEIPT],
        DISCLAIMER.version,
        NOW,
        initiator,
        CONTACT,
        receipt(),
        SHIPPED_LPR,
    )
    assert payload.age_checks == ()
    assert payload.rate_check is None


def test_the_whole_way_to_locked_terms() -> None:
    story = drafted()
    invitee = joined(story)
    note = story.note
    assert note.counterparty is not None
    assert note.counterparty.party_id == invitee.party_id
    frozen = freezing.submit_for_signing(note, story.initiator.party_id)
    assert frozen.document_digest == digest(frozen.document).hex()
    note = story.add(frozen)
    assert note.status is Status.FROZEN
    signed = Signature(
        note.note_version, story.initiator.party_id, frozen.document_digest, uuid.uuid4()
    )
    [locked] = freezing.lock_on_signature(note, signed)
    note = story.add(locked)
    assert note.status is Status.LOCKED
    with _Refused("terms_locked"):
        decisions.amend_terms(note, story.initiator.party_id, iou(), SHIPPED_LPR, {})
    with _Refused("terms_locked"):
        decisions.cancel_note(note, story.initiator.party_id, "withdrawn")
    assert freezing.lock_on_signature(note, signed) == []  # the second signature


def test_amending_a_frozen_note_unfreezes_it_with_a_new_version() -> None:
    story = drafted()
    invitee = joined(story)
    frozen = freezing.submit_for_signing(story.note, story.initiator.party_id)
    story.add(frozen)
    parties = {"initiator": story.initiator, "counterparty": invitee}
    amended = decisions.amend_terms(
        story.note, story.initiator.party_id, iou(purpose="买车"), SHIPPED_LPR, parties
    )
    note = story.add(amended)
    assert (note.status, note.note_version, note.document_digest) == (Status.DRAFT, 2, None)
    stale = Signature(1, story.initiator.party_id, frozen.document_digest, uuid.uuid4())
    assert freezing.lock_on_signature(note, stale) == []
    refrozen = freezing.submit_for_signing(note, story.initiator.party_id)
    assert refrozen.note_version == 2
    assert refrozen.document_digest != frozen.document_digest


def test_a_signature_over_another_digest_or_by_a_stranger_does_not_lock() -> None:
    story = drafted()
    joined(story)
    frozen = freezing.submit_for_signing(story.note, story.initiator.party_id)
    note = story.add(frozen)
    wrong_digest = Signature(1, story.initiator.party_id, "00" * 32, uuid.uuid4())
    stranger = Signature(1, uuid.uuid4(), frozen.document_digest, uuid.uuid4())
    assert freezing.lock_on_signature(note, wrong_digest) == []
    assert freezing.lock_on_signature(note, stranger) == []


def test_amending_keeps_the_template_and_role_and_rechecks_ages() -> None:
    story = drafted()
    invitee = joined(story)
    with _Refused("template_or_role_changed"):
        decisions.amend_terms(
            story.note, story.initiator.party_id, iou(initiator_role="borrower"), SHIPPED_LPR, {}
        )
    later = iou(start_date=date(2026, 4, 1), due_date=date(2027, 4, 1))
    stale = {"initiator": story.initiator, "counterparty": invitee}  # answers for the old start
    with _Refused("age_not_checked"):
        decisions.amend_terms(story.note, story.initiator.party_id, later, SHIPPED_LPR, stale)
    with _Refused("above_limit"):
        decisions.amend_terms(
            story.note,
            story.initiator.party_id,
            iou(principal=Decimal("100000.01")),
            SHIPPED_LPR,
            stale,
        )


def test_only_the_initiator_changes_the_note_and_a_stranger_learns_nothing() -> None:
    story = drafted()
    stranger = uuid.uuid4()
    with _Refused("note_not_found"):
        decisions.amend_terms(story.note, stranger, iou(), SHIPPED_LPR, {})
    with _Refused("note_not_found"):
        invitations.invite(story.note, stranger, "h", NOW, WEEK, reissue=False)
    with _Refused("note_not_found"):
        freezing.submit_for_signing(story.note, stranger)
    counterparty = joined(story).party_id
    with _Refused("not_initiator"):
        decisions.amend_terms(story.note, counterparty, iou(), SHIPPED_LPR, {})
    with _Refused("not_initiator"):
        freezing.submit_for_signing(story.note, counterparty)


def test_freezing_needs_a_joined_counterparty_whose_name_matches() -> None:
    story = drafted()
    with _Refused("counterparty_not_joined"):
        freezing.submit_for_signing(story.note, story.initiator.party_id)
    joined(story, matches=False)
    with _Refused("counterparty_name_mismatch"):
        freezing.submit_for_signing(story.note, story.initiator.party_id)
    renamed = contact_commitment("李 四", "13800138000", b"\x02" * 32)
    note = story.add(decisions.amend_contact(story.note, story.initiator.party_id, renamed, True))
    assert note.note_version == 2
    assert note.counterparty is not None
    assert note.counterparty.name_matches
    frozen = freezing.submit_for_signing(note, story.initiator.party_id)
    assert frozen.document["counterparty"] == {"role": "borrower", "contact_commitment": renamed}


def test_invitations_expire_can_be_revoked_and_reissued() -> None:
    story = drafted()
    initiator = story.initiator.party_id
    story.add(invitations.invite(story.note, initiator, "h1", NOW, WEEK, reissue=False))
    with _Refused("invitation_active"):
        invitations.invite(story.note, initiator, "h2", NOW, WEEK, reissue=False)
    with _Refused("invitation_expired"):
        invitations.accept(story.note, "h1", party(), True, NOW + WEEK)
    with _Refused("unknown_invitation"):
        invitations.accept(story.note, "h-guess", party(), True, NOW)
    story.add(invitations.revoke(story.note, initiator, NOW))
    with _Refused("invitation_revoked"):
        invitations.accept(story.note, "h1", party(), True, NOW)
    with _Refused("no_active_invitation"):
        invitations.revoke(story.note, initiator, NOW)
    story.add(invitations.invite(story.note, initiator, "h3", NOW, WEEK, reissue=True))
    with _Refused("unknown_invitation"):
        invitations.accept(story.note, "h1", party(), True, NOW)
    invitee = party()
    note = story.add(
        invitations.accept(story.note, "h3", invitee, True, NOW + WEEK - timedelta(seconds=1))
    )
    assert note.counterparty is not None
    with _Refused("invitation_revoked"):
        invitations.accept(note, "h3", party(), True, NOW)
    with _Refused("counterparty_already_joined"):
        invitations.invite(note, initiator, "h4", NOW, WEEK, reissue=True)


def test_expiry_needs_no_revocation_before_a_new_invitation() -> None:
    story = drafted()
    story.add(
        invitations.invite(story.note, story.initiator.party_id, "h1", NOW, WEEK, reissue=False)
    )
    later = invitations.invite(
        story.note, story.initiator.party_id, "h2", NOW + WEEK, WEEK, reissue=False
    )
    assert later.expires_at == NOW + 2 * WEEK


def test_a_reissue_needs_an_earlier_invitation() -> None:
    story = drafted()
    with _Refused("no_invitation"):
        invitations.invite(story.note, story.initiator.party_id, "h", NOW, WEEK, reissue=True)


def test_the_invitee_must_be_verified_of_age_and_not_the_initiator() -> None:
    story = drafted()
    story.add(
        invitations.invite(story.note, story.initiator.party_id, "h1", NOW, WEEK, reissue=False)
    )
    with _Refused("self_invitation"):
        invitations.accept(story.note, "h1", story.initiator, True, NOW)
    with _Refused("not_verified"):
        invitations.accept(story.note, "h1", party(verified=False), True, NOW)
    with _Refused("too_old"):
        invitations.accept(story.note, "h1", party(eligible=False, reason="too_old"), True, NOW)


def test_a_cancelled_note_takes_no_more_commands() -> None:
    story = drafted()
    note = story.add(decisions.cancel_note(story.note, story.initiator.party_id, "mistake"))
    assert note.status is Status.CANCELLED
    with _Refused("note_cancelled"):
        invitations.invite(note, story.initiator.party_id, "h", NOW, WEEK, reissue=False)


def test_the_token_hash_is_sha256_of_the_token() -> None:
    assert invitations.token_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_the_digest_covers_terms_template_initiator_and_contact() -> None:
    story = drafted()
    joined(story)
    base = freezing.document_of(story.note)
    assert document_digest(base) == digest(base).hex()
    assert base["capitals"] == {"principal": "壹万元整", "delivered_amount": "壹万元整"}
    for path, value in [
        (("terms", "principal"), "10000.01"),
        (("template", "text"), "另一文本"),
        (("initiator", "identity_commitment"), "ef" * 32),
        (("counterparty", "contact_commitment"), "01" * 32),
    ]:
        changed = {**base, path[0]: {**base[path[0]], path[1]: value}}  # type: ignore[dict-item]
        assert document_digest(changed) != document_digest(base)


def test_the_contact_commitment_hides_and_binds() -> None:
    salt = b"\x07" * 32
    one = contact_commitment("李四", "13800138000", salt)
    assert one == contact_commitment("李四", "13800138000", salt)
    assert one != contact_commitment("李四", "13800138001", salt)
    assert one != contact_commitment("李四", "13800138000", b"\x08" * 32)
    assert "13800138000" not in one


def test_a_decline_of_the_frozen_version_ends_the_note_and_a_stale_one_does_not() -> None:
    story = drafted()
    joined(story)
    frozen = freezing.submit_for_signing(story.note, story.initiator.party_id)
    note = story.add(frozen)
    stale = Signature(note.note_version, story.initiator.party_id, "00" * 32, uuid.uuid4())
    assert freezing.end_on_decline(note, stale) == []
    assert note.counterparty is not None
    declined = Signature(
        note.note_version, note.counterparty.party_id, frozen.document_digest, uuid.uuid4()
    )
    [ended] = freezing.end_on_decline(note, declined)
    note = story.add(ended)
    assert note.status is Status.DECLINED
    with _Refused("note_declined"):
        decisions.cancel_note(note, story.initiator.party_id, "withdrawn")
    assert freezing.lock_on_signature(note, declined) == []
