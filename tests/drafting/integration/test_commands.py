"""Drafting's commands over real NATS, against real PostgreSQL and JetStream."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import nats
import pytest

from shared.bus.relay import OutboxRelay
from shared.commands import CommandRejected
from shared.config import Settings
from shared.store import EventStore
from shared.subjects import Naming
from tests.drafting.integration.support import Person, Running, running_drafting

START = date(2026, 3, 2)
PHONE, NAME = "13912345678", "王五"


@pytest.fixture
async def app(settings: Settings, store: EventStore, nc: nats.NATS) -> AsyncIterator[Running]:
    async with running_drafting(settings, store, nc) as running:
        yield running


def iou_terms(**overrides: Any) -> dict[str, Any]:
    return {
        "template": "iou",
        "initiator_role": "lender",
        "principal": "12345.67",
        "purpose": "装修",
        "start_date": START.isoformat(),
        "due_date": "2027-03-02",
        "annual_rate_percent": "6",
        "repayment_method": "equal_instalment",
        "delivery_method": "bank_transfer",
        **overrides,
    }


def draft_request(initiator: uuid.UUID, **terms: Any) -> dict[str, Any]:
    return {
        "actor_party_id": str(initiator),
        "accepted_disclaimer_version": "2026-01",
        "counterparty": {"display_name": NAME, "phone": PHONE},
        "terms": iou_terms(**terms),
    }


async def relay(
    store: EventStore, nc: nats.NATS, settings: Settings, service: str = "drafting"
) -> int:
    return await OutboxRelay(
        store, nc.jetstream(), Naming(settings.namespace), service
    ).publish_pending()


async def stream_messages(nc: nats.NATS, settings: Settings) -> int:
    info = await nc.jetstream().stream_info(Naming(settings.namespace).stream_name("drafting"))
    return int(info.state.messages)


def no_personal_data(blob: bytes | str) -> None:
    text = blob if isinstance(blob, str) else blob.decode()
    for secret in (PHONE, NAME, "王", "*" * 10):
        assert secret not in text


async def test_a_draft_lands_in_the_schema_and_on_jetstream(
    app: Running, store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    ref = await app.call("draft_note", draft_request(lender))
    note_id = uuid.UUID(ref["note_id"])
    assert (ref["note_version"], ref["status"]) == (1, "draft")

    [event] = await store.read_stream(note_id)
    assert event.event_type == "NoteDrafted"
    assert event.stream_type == "note"
    no_personal_data(json.dumps(event.document(), ensure_ascii=False))
    assert app.identity.profile_questions == [(lender, START)]

    assert await relay(store, nc, settings) == 1
    subject = Naming(settings.namespace).event_subject(
        "drafting", "note", str(note_id), "NoteDrafted"
    )
    message = await nc.jetstream().get_last_msg(
        Naming(settings.namespace).stream_name("drafting"), subject
    )
    assert json.loads(message.data)["event_id"] == str(event.event_id)
    no_personal_data(message.data)

    sealed = await store.pool.fetchrow(f"SELECT * FROM {store.schema}.contacts")
    assert sealed["note_id"] == note_id
    assert PHONE.encode() not in sealed["ciphertext"]
    assert NAME.encode() not in sealed["ciphertext"]


@pytest.mark.parametrize(
    ("request_change", "code", "field"),
    [
        ({"principal": "100000.01"}, "above_limit", "terms.principal"),
        ({"annual_rate_percent": "12.0001"}, "above_cap", "terms.annual_rate_percent"),
        ({"due_date": "2028-03-03"}, "term_too_long", "terms.due_date"),
        ({"delivered_amount": "11000"}, "interest_deducted_in_advance", "terms.delivered_amount"),
        ({"principal": "lots"}, "invalid_request", "terms.iou.principal"),
    ],
)
async def test_an_invalid_command_is_refused_and_leaves_no_event_anywhere(
    app: Running,
    store: EventStore,
    nc: nats.NATS,
    settings: Settings,
    request_change: dict[str, str],
    code: str,
    field: str,
) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    with pytest.raises(CommandRejected) as refused:
        await app.call("draft_note", draft_request(lender, **request_change))
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message_zh != refused.value.message
    await assert_nothing_saved(store, nc, settings)


async def assert_nothing_saved(store: EventStore, nc: nats.NATS, settings: Settings) -> None:
    assert await store.read_all() == []
    assert await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.contacts") == 0
    assert await relay(store, nc, settings) == 0
    assert await stream_messages(nc, settings) == 0


async def test_refusals_about_the_parties_save_nothing_either(
    app: Running, store: EventStore, nc: nats.NATS, settings: Settings
) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    no_disclaimer = {**draft_request(lender), "accepted_disclaimer_version": None}
    bad_phone = {**draft_request(lender), "counterparty": {"display_name": NAME, "phone": "12345"}}
    unverified = app.identity.add(Person("赵六", date(1990, 5, 1), verified=False))
    for request, code in [
        (no_disclaimer, "disclaimer_not_accepted"),
        (bad_phone, "invalid_phone"),
        (draft_request(unverified), "not_verified"),
        (draft_request(uuid.uuid4()), "not_verified"),
    ]:
        with pytest.raises(CommandRejected) as refused:
            await app.call("draft_note", request)
        assert refused.value.code == code
    await assert_nothing_saved(store, nc, settings)


@pytest.mark.parametrize(
    ("birth", "start", "code"),
    [
        (date(2004, 3, 2), date(2026, 3, 1), "too_young"),  # 21 the day before the 22nd birthday
        (date(2004, 3, 2), date(2026, 3, 2), None),  # exactly 22 on the start date
        (date(1965, 3, 2), date(2026, 3, 1), None),  # 60, the day before turning 61
        (date(1965, 3, 2), date(2026, 3, 2), "too_old"),  # 61 on the start date
    ],
)
async def test_ages_are_judged_on_the_start_date(
    app: Running, birth: date, start: date, code: str | None
) -> None:
    lender = app.identity.add(Person("张三", birth))
    due = start + timedelta(days=30)
    request = draft_request(
        lender, start_date=start.isoformat(), due_date=due.isoformat(), repayment_method="bullet"
    )
    if code is None:
        assert (await app.call("draft_note", request))["status"] == "draft"
    else:
        with pytest.raises(CommandRejected) as refused:
            await app.call("draft_note", request)
        assert (refused.value.code, refused.value.field) == (code, "initiator")
    assert app.identity.profile_questions == [(lender, start)]


async def test_preview_gives_the_schedule_and_capitals_and_saves_nothing(
    app: Running, store: EventStore
) -> None:
    result = await app.call("preview", {"terms": iou_terms()})
    assert result["valid"] is True
    assert result["capitals"]["principal"] == "壹万贰仟叁佰肆拾伍元陆角柒分"
    assert len(result["schedule"]) == 12
    assert sum(float(row["principal"]) for row in result["schedule"]) == pytest.approx(12345.67)
    assert result["totals"]["principal"] == "12345.67"
    assert result["interest_free"] is False
    for row in result["schedule"]:
        assert row["payment_capitals"].endswith(("分", "整"))
    free = await app.call("preview", {"terms": iou_terms(annual_rate_percent=None)})
    assert free["interest_free"] is True
    assert free["totals"]["interest_capitals"] == "零元整"
    bad = await app.call("preview", {"terms": iou_terms(principal="100000.01", purpose="")})
    assert bad["valid"] is False
    assert {(p["field"], p["rule"]) for p in bad["problems"]} == {
        ("terms.principal", "above_limit"),
        ("terms.purpose", "required"),
    }
    assert await store.read_all() == []


async def test_invitation_tokens_are_kept_only_as_hashes_and_expire(
    app: Running, store: EventStore
) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    note_id = (await app.call("draft_note", draft_request(lender)))["note_id"]
    own = {"note_id": note_id, "actor_party_id": str(lender)}
    issued = await app.call("invite_counterparty", own)
    token = issued["token"]
    assert len(token) >= 43
    hashed = hashlib.sha256(token.encode()).hexdigest()
    stored = json.dumps([e.document() for e in await store.read_stream(uuid.UUID(note_id))])
    assert token not in stored
    assert hashed in stored
    app.clock.now += timedelta(days=7)
    borrower = app.identity.add(Person(NAME, date(1992, 1, 1)))
    with pytest.raises(CommandRejected) as refused:
        await app.call("accept_invitation", {"token": token, "party_id": str(borrower)})
    assert (refused.value.code, refused.value.field) == ("invitation_expired", "token")
    fresh = (await app.call("reissue_invitation", own))["token"]
    await app.call("revoke_invitation", own)
    with pytest.raises(CommandRejected) as refused:
        await app.call("accept_invitation", {"token": fresh, "party_id": str(borrower)})
    assert refused.value.code == "invitation_revoked"
    with pytest.raises(CommandRejected) as refused:
        await app.call("accept_invitation", {"token": "guess", "party_id": str(borrower)})
    assert refused.value.code == "unknown_invitation"
