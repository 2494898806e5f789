"""Saving a command's event and its own row in one statement: refusals leave nothing behind."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import nats
import pytest

from services.drafting.domain.note import Note
from shared.commands import CommandRejected
from shared.config import Settings
from shared.store import EventStore
from tests.drafting.integration.support import Person, Running, running_drafting
from tests.drafting.integration.test_commands import NAME, draft_request


@pytest.fixture
async def app(settings: Settings, store: EventStore, nc: nats.NATS) -> AsyncIterator[Running]:
    async with running_drafting(settings, store, nc) as running:
        yield running


async def rows(store: EventStore, table: str) -> int:
    count: int = await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.{table}")
    return count


async def test_a_second_draft_of_the_same_note_id_is_refused_and_saves_nothing(
    app: Running, store: EventStore
) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    note_id = uuid.uuid4()
    request = {**draft_request(lender), "note_id": str(note_id)}
    assert (await app.call("draft_note", request))["note_id"] == str(note_id)
    with pytest.raises(CommandRejected) as refused:
        await app.call("draft_note", request)
    assert (refused.value.code, refused.value.field) == ("note_exists", "note_id")
    assert refused.value.message_zh == "借条已存在"
    assert [e.event_type for e in await store.read_stream(note_id)] == ["NoteDrafted"]
    assert await rows(store, "contacts") == 1


async def test_a_command_decided_on_a_stale_note_is_refused_and_saves_none_of_its_rows(
    app: Running, store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    note_id = uuid.UUID((await app.call("draft_note", draft_request(lender)))["note_id"])
    own = {"note_id": str(note_id), "actor_party_id": str(lender)}
    stale = await app.drafting.store.load(note_id)
    await app.call("cancel_note", own)

    async def load_stale(_: uuid.UUID) -> Note | None:
        return stale  # as if the cancellation committed after this command read the note

    monkeypatch.setattr(app.drafting.store, "load", load_stale)
    contact = {"display_name": "王小五", "phone": "13912345678"}
    for name, request in [
        ("invite_counterparty", own),
        ("amend_counterparty_contact", {**own, "counterparty": contact}),
    ]:
        with pytest.raises(CommandRejected) as refused:
            await app.call(name, request)
        assert refused.value.code == "concurrent_update"
    assert [e.event_type for e in await store.read_stream(note_id)] == [
        "NoteDrafted",
        "NoteCancelled",
    ]
    assert (await rows(store, "contacts"), await rows(store, "invitations")) == (1, 0)


async def test_the_newest_contact_is_the_one_shown_and_matched(app: Running) -> None:
    lender = app.identity.add(Person("张三", date(1990, 5, 1)))
    borrower = app.identity.add(Person("王小五", date(1995, 8, 8)))
    note_id = (await app.call("draft_note", draft_request(lender)))["note_id"]
    own = {"note_id": note_id, "actor_party_id": str(lender)}
    corrected = {"display_name": "王小五", "phone": "13912345679"}
    await app.call("amend_counterparty_contact", {**own, "counterparty": corrected})
    token = (await app.call("invite_counterparty", own))["token"]
    await app.call("accept_invitation", {"token": token, "party_id": str(borrower)})
    view = await app.call("get_note", own)
    assert view["counterparty"]["display_name"] == "王小五" != NAME
    assert view["counterparty"]["phone_masked"] == "139****5679"
    assert view["counterparty"]["name_matches"] is True
    assert (await app.call("submit_for_signing", own))["note_version"] == 2
