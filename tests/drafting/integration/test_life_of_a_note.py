"""A note from draft to locked terms: invitation, joining, freezing, signing's PartySigned."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date

import nats
import pytest

from services.drafting.domain.templates import DISCLAIMER
from services.drafting.handlers.signatures import SIGNING_OUTCOMES
from shared.bus.consumer import Consumer
from shared.bus.relay import OutboxRelay
from shared.catalogue.signing import PartySigned, SignatureDeclined
from shared.commands import CommandRejected
from shared.config import Settings
from shared.events import Envelope, digest
from shared.store import EventStore
from shared.subjects import Naming
from tests.drafting.integration.support import Person, Running, running_drafting
from tests.drafting.integration.test_commands import (
    NAME,
    START,
    draft_request,
    iou_terms,
    no_personal_data,
)
from tests.shared.bus_support import eventually, running


@pytest.fixture
async def app(settings: Settings, store: EventStore, nc: nats.NATS) -> AsyncIterator[Running]:
    async with running_drafting(settings, store, nc) as running_app:
        yield running_app


def party_signed(
    note_id: uuid.UUID, version: int, party_id: uuid.UUID, digest_hex: str
) -> Envelope:
    payload = PartySigned.model_validate(
        {
            "note_id": note_id,
            "note_version": version,
            "party_id": party_id,
            "role": "lender",
            "document_digest": digest_hex,
            "sequence": 1,
            "previous_signature": None,
            "signature": {"key_id": "k", "message_format": "test", "value": "c2ln"},
            "handwriting": {
                "digest": "00" * 32,
                "png_sha256": "11" * 32,
                "strokes_sha256": "22" * 32,
            },
            "check": {
                "ticket_id": uuid.uuid4(),
                "method": "test",
                "identity_commitment": "33" * 32,
                "intent_version": "1",
            },
        }
    )
    return Envelope.new(
        payload, stream_id=note_id, version=1, correlation_id=uuid.uuid4(), actor="signing"
    )


async def event_types(store: EventStore, note_id: uuid.UUID) -> list[str]:
    return [e.event_type for e in await store.read_stream(note_id)]


async def test_from_draft_to_locked_terms(
    app: Running, store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    borrower = app.identity.add(Person(NAME, date(1995, 8, 8), masked_id="3301**********123X"))
    note_id = uuid.UUID((await app.call("draft_note", draft_request(lender)))["note_id"])
    own = {"note_id": str(note_id), "actor_party_id": str(lender)}
    token = (await app.call("invite_counterparty", own))["token"]
    joined = await app.call("accept_invitation", {"token": token, "party_id": str(borrower)})
    assert joined["status"] == "draft"
    # One question to identity per party: its profile and its age on the start date together.
    assert app.identity.profile_questions == [(lender, START), (borrower, START)]

    view = await app.call("get_note", own)
    assert view["counterparty"] == {
        "role": "borrower",
        "display_name": NAME,
        "phone_masked": "139****5678",
        "joined": True,
        "party_id": str(borrower),
        "masked_id": "3301**********123X",
        "name_matches": True,
    }
    assert view["disclaimer_version"] == DISCLAIMER.version
    assert view["preview"]["capitals"]["principal"] == "壹万贰仟叁佰肆拾伍元陆角柒分"
    assert (await app.call("get_note", {**own, "actor_party_id": str(borrower)}))[
        "status"
    ] == "draft"
    with pytest.raises(CommandRejected) as refused:
        await app.call("get_note", {**own, "actor_party_id": str(uuid.uuid4())})
    assert refused.value.code == "note_not_found"

    frozen = await app.call("submit_for_signing", own)
    assert frozen["document_digest"] == digest(frozen["document"]).hex()
    assert (
        frozen["document"]["initiator"]["identity_commitment"]
        == Person("张三", date(1990, 5, 1)).commitment
    )

    signing_store = EventStore(store.pool, settings.schema_for("signing"))
    await signing_store.append([party_signed(note_id, 1, lender, frozen["document_digest"])])
    await OutboxRelay(
        signing_store, nc.jetstream(), Naming(settings.namespace), "signing"
    ).publish_pending()
    consumer = Consumer(
        "drafting-locks", ("signing",), app.drafting.on_signing_outcome, SIGNING_OUTCOMES
    )
    async with running(settings, store, consumer):

        async def locked() -> bool:
            return (await event_types(store, note_id))[-1] == "NoteTermsLocked"

        await eventually(locked, within=20)

    with pytest.raises(CommandRejected) as refused:
        await app.call("amend_terms", {**own, "terms": iou_terms(purpose="买车")})
    assert refused.value.code == "terms_locked"
    for event in await store.read_stream(note_id):
        no_personal_data(json.dumps(event.document(), ensure_ascii=False))
    assert await event_types(store, note_id) == [
        "NoteDrafted",
        "CounterpartyInvited",
        "CounterpartyJoined",
        "NoteFrozenForSigning",
        "NoteTermsLocked",
    ]


async def test_a_name_mismatch_blocks_freezing_until_the_initiator_corrects_it(
    app: Running, store: EventStore
) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    borrower = app.identity.add(Person("王小五", date(1995, 8, 8)))
    note_id = (await app.call("draft_note", draft_request(lender)))["note_id"]
    own = {"note_id": note_id, "actor_party_id": str(lender)}
    token = (await app.call("invite_counterparty", own))["token"]
    await app.call("accept_invitation", {"token": token, "party_id": str(borrower)})
    with pytest.raises(CommandRejected) as refused:
        await app.call("submit_for_signing", own)
    assert (refused.value.code, refused.value.field) == (
        "counterparty_name_mismatch",
        "counterparty.display_name",
    )
    corrected = {**own, "counterparty": {"display_name": "王小五", "phone": "139 1234 5678"}}
    assert (await app.call("amend_counterparty_contact", corrected))["note_version"] == 2
    assert (await app.call("submit_for_signing", own))["note_version"] == 2


async def test_amending_a_frozen_note_rechecks_both_ages_on_the_new_start_date(
    app: Running, store: EventStore
) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    borrower = app.identity.add(Person(NAME, date(2004, 6, 1)))  # 22 on 2026-06-01
    note_id = (
        await app.call(
            "draft_note", draft_request(lender, start_date="2026-06-01", due_date="2027-06-01")
        )
    )["note_id"]
    own = {"note_id": note_id, "actor_party_id": str(lender)}
    token = (await app.call("invite_counterparty", own))["token"]
    await app.call("accept_invitation", {"token": token, "party_id": str(borrower)})
    await app.call("submit_for_signing", own)
    earlier = iou_terms(start_date="2026-05-31", due_date="2027-05-31")
    with pytest.raises(CommandRejected) as refused:
        await app.call("amend_terms", {**own, "terms": earlier})
    assert (refused.value.code, refused.value.field) == ("too_young", "counterparty")
    amended = await app.call(
        "amend_terms",
        {
            **own,
            "terms": iou_terms(start_date="2026-06-01", due_date="2027-06-01", principal="5000"),
        },
    )
    assert (amended["note_version"], amended["status"]) == (2, "draft")
    assert (borrower, date(2026, 5, 31)) in app.identity.profile_questions


async def test_a_declined_signature_ends_the_note(
    app: Running, store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    borrower = app.identity.add(Person(NAME, date(1995, 8, 8)))
    note_id = uuid.UUID((await app.call("draft_note", draft_request(lender)))["note_id"])
    own = {"note_id": str(note_id), "actor_party_id": str(lender)}
    token = (await app.call("invite_counterparty", own))["token"]
    await app.call("accept_invitation", {"token": token, "party_id": str(borrower)})
    frozen = await app.call("submit_for_signing", own)
    declined = SignatureDeclined(
        note_version=1,
        party_id=borrower,
        role="borrower",
        document_digest=frozen["document_digest"],
        reason="terms_wrong",
    )
    signing_store = EventStore(store.pool, settings.schema_for("signing"))
    await signing_store.append(
        [
            Envelope.new(
                declined, stream_id=note_id, version=1, correlation_id=uuid.uuid4(), actor="signing"
            )
        ]
    )
    await OutboxRelay(
        signing_store, nc.jetstream(), Naming(settings.namespace), "signing"
    ).publish_pending()
    consumer = Consumer(
        "drafting-locks", ("signing",), app.drafting.on_signing_outcome, SIGNING_OUTCOMES
    )
    async with running(settings, store, consumer):

        async def ended() -> bool:
            return (await event_types(store, note_id))[-1] == "NoteDeclined"

        await eventually(ended, within=20)
    with pytest.raises(CommandRejected) as refused:
        await app.call("amend_terms", {**own, "terms": iou_terms(purpose="买车")})
    assert refused.value.code == "note_declined"
    with pytest.raises(CommandRejected) as refused:
        await app.call("submit_for_signing", own)
    assert refused.value.code == "note_declined"
