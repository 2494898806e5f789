"""The void flow through the service, in all four endings; expiry by the sweep on a set clock."""

from __future__ import annotations

import asyncio

import pytest

from services.signing.adapters import tables
from services.signing.app import sweep_until
from services.signing.application import models as m
from services.signing.application import queries, signing, voiding
from services.signing.application.context import SigningContext
from services.signing.domain.errors import SigningRefused
from services.signing.domain.verification import verify_note
from shared.catalogue.signing import VoidExpired
from shared.commands import CommandRejected
from tests.shared.bus_support import eventually
from tests.signing.integration.support import (
    Clock,
    FakeIdentity,
    completed,
    feed,
    sign_request,
    sign_void_request,
    void_request,
)
from tests.signing.integration.test_signing_service import published_events
from tests.signing.support import Note


async def open_voids(ctx: SigningContext) -> int:
    return int(await ctx.store.pool.fetchval(f"SELECT count(*) FROM {ctx.schema}.open_voids"))


async def a_completed_note(ctx: SigningContext, identity: FakeIdentity) -> tuple[Note, str]:
    note = Note()
    final = (await completed(ctx, identity, note)).final_digest
    assert final is not None
    return note, final


async def status(ctx: SigningContext, note: Note) -> m.SigningStateResult:
    return await queries.signing_state(ctx, m.NoteRequest(note_id=note.note_id))


async def test_signed_by_the_other_party_the_note_is_voided_and_still_verifies(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note, final = await a_completed_note(ctx, identity)
    asked = await voiding.request_void(ctx, void_request(identity, note, note.counterparty, final))
    mine = sign_void_request(identity, note, note.counterparty, final, asked.void_id)
    with pytest.raises(SigningRefused) as refused:
        await voiding.sign_void(ctx, mine)
    assert refused.value.code == "void_own_request"
    theirs = sign_void_request(identity, note, note.initiator, final, asked.void_id)
    assert (await voiding.sign_void(ctx, theirs)).status == "voided"
    assert await open_voids(ctx) == 0
    verdict = verify_note(await published_events(ctx, note))
    assert verdict.valid, verdict.problems
    assert verdict.voided


async def test_declined_or_withdrawn_the_note_stays_completed(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note, final = await a_completed_note(ctx, identity)
    first = await voiding.request_void(ctx, void_request(identity, note, note.initiator, final))
    answer = m.AnswerVoidRequest(
        note_id=note.note_id, party_id=note.counterparty, void_id=first.void_id, reason="还没还"
    )
    assert (await voiding.decline_void(ctx, answer)).status == "completed"
    second = await voiding.request_void(
        ctx,
        void_request(
            identity, note, note.initiator, final, reason_code="other", reason_text="写错了"
        ),
    )
    not_mine = m.AnswerVoidRequest(
        note_id=note.note_id, party_id=note.counterparty, void_id=second.void_id
    )
    with pytest.raises(SigningRefused) as refused:
        await voiding.withdraw_void(ctx, not_mine)
    assert refused.value.code == "not_requester"
    mine = not_mine.model_copy(update={"party_id": note.initiator})
    assert (await voiding.withdraw_void(ctx, mine)).status == "completed"
    assert (await status(ctx, note)).open_void is None
    assert await open_voids(ctx) == 0


async def test_expired_by_the_sweep_after_the_configured_period(
    ctx: SigningContext, identity: FakeIdentity, clock: Clock
) -> None:
    note, final = await a_completed_note(ctx, identity)
    asked = await voiding.request_void(ctx, void_request(identity, note, note.initiator, final))
    assert asked.expires_at == clock.now + ctx.settings.void_ttl
    clock.advance(days=29, hours=23)
    assert await voiding.expire_due_voids(ctx) == 0
    clock.advance(hours=1)
    late = sign_void_request(identity, note, note.counterparty, final, asked.void_id)
    with pytest.raises(SigningRefused) as refused:
        await voiding.sign_void(ctx, late)
    assert refused.value.code == "void_expired"
    assert await voiding.expire_due_voids(ctx) == 1
    assert await voiding.expire_due_voids(ctx) == 0
    events = await ctx.store.read_stream(note.note_id)
    assert events[-1].payload == VoidExpired(void_id=asked.void_id, expired_at=clock.now)
    state = await status(ctx, note)
    assert (state.status, state.open_void) == ("completed", None)
    assert await open_voids(ctx) == 0


async def test_only_a_completed_note_is_voided_and_the_ticket_is_for_its_final_digest(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    await signing.sign(ctx, sign_request(identity, note, note.initiator))
    with pytest.raises(SigningRefused) as refused:
        await voiding.request_void(ctx, void_request(identity, note, note.initiator, note.digest))
    assert refused.value.code == "note_not_completed"
    done, final = await a_completed_note(ctx, identity)
    signing_ticket = identity.issue(done.initiator, done.note_id, final, "sign")
    with pytest.raises(CommandRejected) as rejected:
        await voiding.request_void(
            ctx, void_request(identity, done, done.initiator, final, ticket=signing_ticket)
        )
    assert rejected.value.code == "ticket_wrong_purpose"
    by_document = identity.issue(done.initiator, done.note_id, done.digest, "void")
    with pytest.raises(CommandRejected) as rejected:
        await voiding.request_void(
            ctx, void_request(identity, done, done.initiator, final, ticket=by_document)
        )
    assert rejected.value.code == "ticket_wrong_digest"


async def test_the_sweep_row_is_kept_with_its_request(
    ctx: SigningContext, identity: FakeIdentity, clock: Clock
) -> None:
    note, final = await a_completed_note(ctx, identity)
    await voiding.request_void(ctx, void_request(identity, note, note.initiator, final))
    async with ctx.store.pool.acquire() as conn:
        assert await tables.due_voids(conn, ctx.schema, clock.now) == []
        assert await tables.due_voids(conn, ctx.schema, clock.now + ctx.settings.void_ttl) == [
            note.note_id
        ]


async def test_the_service_s_sweep_expires_a_request_once_its_time_is_up(
    ctx: SigningContext, identity: FakeIdentity, clock: Clock
) -> None:
    note, final = await a_completed_note(ctx, identity)
    asked = await voiding.request_void(ctx, void_request(identity, note, note.initiator, final))
    stopping = asyncio.Event()
    sweep = asyncio.create_task(sweep_until(ctx, 0.05, stopping))
    try:
        await asyncio.sleep(0.2)
        assert (await status(ctx, note)).open_void is not None
        clock.advance(days=30)

        async def expired() -> bool:
            last = (await ctx.store.read_stream(note.note_id))[-1].payload
            return isinstance(last, VoidExpired) and last.void_id == asked.void_id

        await eventually(expired, within=10)
    finally:
        stopping.set()
    await asyncio.wait_for(sweep, 5)  # the sweep ends once asked to
