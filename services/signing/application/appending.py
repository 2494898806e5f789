"""Decide on the current state, append at the version decided on, retry when another writer won.

Optimistic concurrency: a decision is made on the stream as read; the append names the version
it expects, and if somebody appended first (`ConcurrencyError`) the stream is read again and the
decision made again, so it sees the other writer's events (both parties signing at once, two
void requests racing). Every append that leaves the note fully signed with locked terms also
completes it, with its stamp, in the same statement.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.signing.adapters import tables
from services.signing.adapters.appends import Write, append_decision
from services.signing.application.context import SigningContext
from services.signing.domain.completion import complete, completion_digest
from services.signing.domain.errors import SigningRefused
from services.signing.domain.seal import render_seal
from services.signing.domain.state import NoteSigning, evolve, fold
from shared.events import Envelope, EventPayload
from shared.store import Transaction

MAX_ATTEMPTS = 8


@dataclass
class Decision:
    events: list[EventPayload]
    writes: list[Write] = field(default_factory=list)


@dataclass(frozen=True)
class Appended:
    state: NoteSigning
    envelopes: list[Envelope]


Decide = Callable[[NoteSigning], Awaitable[Decision]]


async def load(
    ctx: SigningContext, note_id: uuid.UUID, within: Transaction | None = None
) -> NoteSigning:
    return fold(note_id, await (within or ctx.store).read_stream(note_id))


def _envelopes(
    state: NoteSigning,
    payloads: Sequence[EventPayload],
    actor: str,
    now: datetime,
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None,
) -> list[Envelope]:
    return [
        Envelope.new(
            payload,
            stream_id=state.note_id,
            version=state.stream_version + offset + 1,
            correlation_id=correlation_id,
            causation_id=causation_id,
            actor=actor,
            occurred_at=now,
        )
        for offset, payload in enumerate(payloads)
    ]


def _with_completion(state: NoteSigning, decision: Decision, now: datetime) -> Decision:
    if not state.ready_to_complete():
        return decision
    final = completion_digest(state)
    seal = render_seal(now, final)
    stamp = tables.StoredStamp(state.note_id, final, now, seal.svg, seal.png)
    completed = complete(state, now, _sha256(seal.svg), _sha256(seal.png))
    return Decision([*decision.events, completed], [*decision.writes, tables.saves_stamp(stamp)])


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def _appended(
    ctx: SigningContext, within: Transaction | None, envelopes: list[Envelope], writes: list[Write]
) -> bool:
    if within is not None:
        appended = await append_decision(within.conn, within.schema, envelopes, writes)
        await within.appended(envelopes)
        return appended
    async with ctx.store.writing(envelopes) as conn:
        return await append_decision(conn, ctx.schema, envelopes, writes)


async def decide_and_append(
    ctx: SigningContext,
    note_id: uuid.UUID,
    actor: str,
    decide: Decide,
    *,
    within: Transaction | None = None,
    correlation_id: uuid.UUID | None = None,
    causation_id: uuid.UUID | None = None,
    already_read: NoteSigning | None = None,
) -> Appended:
    """Append what `decide` returns on the freshest state; decide again after a conflict.
    `within`: a consumer's transaction, read and appended to on its own connection.
    `already_read`: the note as the caller has just read it, decided on first (after a conflict
    it is read again)."""
    correlation_id = correlation_id or uuid.uuid4()
    for attempt in range(MAX_ATTEMPTS):
        state = (
            already_read
            if already_read is not None and attempt == 0
            else await load(ctx, note_id, within)
        )
        decision = await decide(state)
        if not decision.events:
            return Appended(state, [])
        now = ctx.clock()
        envelopes = _envelopes(state, decision.events, actor, now, correlation_id, causation_id)
        decision = _with_completion(evolve(state, envelopes), decision, now)
        envelopes = _envelopes(state, decision.events, actor, now, correlation_id, causation_id)
        if await _appended(ctx, within, envelopes, decision.writes):
            return Appended(evolve(state, envelopes), envelopes)
        await asyncio.sleep(random.uniform(0, 0.02 * (attempt + 1)))
    raise SigningRefused(
        "busy", "the note is being changed by others: try again", "借条正在被修改，请稍后重试"
    )
