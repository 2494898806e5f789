"""Use cases of the two-party void: request, sign, decline, withdraw, and the expiry sweep."""

from __future__ import annotations

import uuid

from services.signing.adapters import tables
from services.signing.application import keys
from services.signing.application.appending import Decision, decide_and_append, load
from services.signing.application.common import (
    check_of,
    parse_handwriting,
    redeem,
)
from services.signing.application.context import SigningContext
from services.signing.application.models import (
    AnswerVoidRequest,
    RequestVoidRequest,
    SignVoidRequest,
    StatusResult,
    VoidRequestResult,
)
from services.signing.application.signing import actor
from services.signing.domain import voiding
from services.signing.domain.messages import VOID_FORMAT, void_message
from services.signing.domain.signatures import require_intent
from services.signing.domain.state import NoteSigning


async def request_void(ctx: SigningContext, request: RequestVoidRequest) -> VoidRequestResult:
    handwriting = parse_handwriting(request.handwriting)
    ref = handwriting.ref
    note_id, party_id, code = request.note_id, request.party_id, request.reason_code
    state = await load(ctx, note_id)
    voiding.check_can_request(state, party_id, code, request.reason_text, request.intent_confirmed)
    assert state.final_digest is not None
    authorisation = await redeem(ctx, request.ticket, state, party_id, state.final_digest, "void")
    key = await keys.ensure_key(ctx, party_id)
    void_id = uuid.uuid4()
    save_handwriting = keys.handwriting_write(ctx, handwriting)

    async def decide(state: NoteSigning) -> Decision:
        text = voiding.check_can_request(state, party_id, code, request.reason_text, True)
        facts = voiding.requester_facts(state, party_id, ref, check_of(state, authorisation))
        expires_at = ctx.clock() + ctx.settings.void_ttl
        void = voiding.void_facts(state, void_id, code, text, expires_at)
        signature = keys.sign(ctx, key, authorisation, void_message(void, facts), VOID_FORMAT)
        event = voiding.void_requested(state, void, facts, ref, signature)
        opens = tables.opens_void(note_id, void_id, expires_at)
        return Decision([event], [save_handwriting, opens])

    appended = await decide_and_append(ctx, note_id, actor(party_id), decide, already_read=state)
    assert appended.state.open_void is not None
    return VoidRequestResult(
        note_id=note_id, void_id=void_id, expires_at=appended.state.open_void.expires_at
    )


async def sign_void(ctx: SigningContext, request: SignVoidRequest) -> StatusResult:
    handwriting = parse_handwriting(request.handwriting)
    ref = handwriting.ref
    note_id, party_id, void_id = request.note_id, request.party_id, request.void_id
    state = await load(ctx, note_id)
    voiding.check_can_answer(state, party_id, void_id, ctx.clock())
    require_intent(request.intent_confirmed)
    assert state.final_digest is not None
    authorisation = await redeem(ctx, request.ticket, state, party_id, state.final_digest, "void")
    key = await keys.ensure_key(ctx, party_id)
    save_handwriting = keys.handwriting_write(ctx, handwriting)

    async def decide(state: NoteSigning) -> Decision:
        now = ctx.clock()
        void = voiding.check_can_answer(state, party_id, void_id, now)
        check = check_of(state, authorisation)
        facts = voiding.countersigner_facts(state, party_id, void, ref, check)
        message = void_message(voiding.open_void_facts(state, void), facts)
        signature = keys.sign(ctx, key, authorisation, message, VOID_FORMAT)
        events = voiding.void_signed(state, void, facts, ref, signature, now)
        return Decision(list(events), [save_handwriting, tables.closes_void(note_id)])

    appended = await decide_and_append(ctx, note_id, actor(party_id), decide, already_read=state)
    return StatusResult(note_id=note_id, status=appended.state.status.value)


async def decline_void(ctx: SigningContext, request: AnswerVoidRequest) -> StatusResult:
    async def decide(state: NoteSigning) -> Decision:
        event = voiding.decline_void(
            state, request.party_id, request.void_id, request.reason, ctx.clock()
        )
        return Decision([event], [tables.closes_void(request.note_id)])

    appended = await decide_and_append(ctx, request.note_id, actor(request.party_id), decide)
    return StatusResult(note_id=request.note_id, status=appended.state.status.value)


async def withdraw_void(ctx: SigningContext, request: AnswerVoidRequest) -> StatusResult:
    async def decide(state: NoteSigning) -> Decision:
        event = voiding.withdraw_void(state, request.party_id, request.void_id, ctx.clock())
        return Decision([event], [tables.closes_void(request.note_id)])

    appended = await decide_and_append(ctx, request.note_id, actor(request.party_id), decide)
    return StatusResult(note_id=request.note_id, status=appended.state.status.value)


async def expire_due_voids(ctx: SigningContext) -> int:
    """Close every void request whose time is up; returns how many expired now."""
    now = ctx.clock()
    async with ctx.store.pool.acquire() as conn:
        due = await tables.due_voids(conn, ctx.schema, now)
    expired = 0
    for note_id in due:

        async def decide(state: NoteSigning) -> Decision:
            closes = tables.closes_void(state.note_id)
            return Decision(list(voiding.expire_void(state, now)), [closes])

        appended = await decide_and_append(ctx, note_id, "signing", decide)
        if appended.envelopes:
            expired += 1
        else:  # nothing open any more: the row outlived its request
            async with ctx.store.pool.acquire() as conn:
                await tables.close_void(conn, ctx.schema, note_id)
    return expired
