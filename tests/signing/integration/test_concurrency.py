"""Writers racing on one note end in one consistent stream: optimistic concurrency, retried."""

from __future__ import annotations

import asyncio
import uuid

from services.signing.adapters import tables
from services.signing.application import signing, voiding
from services.signing.application.appending import Decision, decide_and_append, load
from services.signing.application.context import SigningContext
from services.signing.application.models import SignResult
from services.signing.domain.errors import SigningRefused
from services.signing.domain.state import NoteSigning
from shared.catalogue.signing import PartySigned, SignatureDeclined, VoidRequested
from shared.config import Settings
from shared.store import connect_pool
from tests.signing.integration.support import (
    Clock,
    FakeIdentity,
    completed,
    feed,
    sign_request,
    signing_context,
    void_request,
)
from tests.signing.support import Note


async def outcomes(*calls: object) -> list[object]:
    return list(await asyncio.gather(*calls, return_exceptions=True))  # type: ignore[call-overload]


def codes(results: list[object]) -> list[str]:
    return sorted(r.code if isinstance(r, SigningRefused) else "ok" for r in results)


async def assert_consistent(ctx: SigningContext, note_id: uuid.UUID) -> list[object]:
    events = await ctx.store.read_stream(note_id)
    assert [e.version for e in events] == list(range(1, len(events) + 1))
    return [e.payload for e in events]


async def test_a_conflicting_append_is_decided_again_on_the_winner_s_events(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    both_read = asyncio.Barrier(2)
    decisions: list[int] = []

    async def decline_once(state: NoteSigning) -> Decision:
        decisions.append(state.stream_version)
        if len(decisions) <= 2:
            await both_read.wait()  # both writers decide on the same version
        if state.status.value != "open":
            raise SigningRefused("note_declined", "declined", "已拒签")
        return Decision(
            [
                SignatureDeclined(
                    note_version=1,
                    party_id=note.counterparty,
                    role="borrower",
                    document_digest=note.digest,
                    reason="x",
                )
            ]
        )

    results = await outcomes(
        decide_and_append(ctx, note.note_id, "a", decline_once),
        decide_and_append(ctx, note.note_id, "b", decline_once),
    )
    assert codes(results) == ["note_declined", "ok"]
    assert decisions == [1, 1, 2]  # the loser read again and saw the decline
    payloads = await assert_consistent(ctx, note.note_id)
    assert sum(isinstance(p, SignatureDeclined) for p in payloads) == 1


async def test_a_consumer_s_transaction_outlives_a_lost_race_and_keeps_only_the_winning_writes(
    ctx: SigningContext,
) -> None:
    # No savepoint around the consumer's append: a stream that moved on must leave its
    # transaction usable (the mark made before it kept) and none of the losing attempt's rows.
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    decisions: list[int] = []

    def declined(reason: str) -> SignatureDeclined:
        return SignatureDeclined(
            note_version=1,
            party_id=note.counterparty,
            role="borrower",
            document_digest=note.digest,
            reason=reason,
        )

    async def decide(state: NoteSigning) -> Decision:
        decisions.append(state.stream_version)
        if len(decisions) == 1:  # another writer appends first, on its own connection
            await decide_and_append(
                ctx, note.note_id, "other", lambda _: _decided(declined("other"))
            )
        digest = f"attempt-{len(decisions)}"
        return Decision([declined(digest)], [tables.saves_handwriting(digest, ("k", b"n", b"c"))])

    marked = uuid.uuid4()
    async with ctx.store.transaction() as tx:
        assert await tx.mark_processed("test", marked)
        await decide_and_append(ctx, note.note_id, "consumer", decide, within=tx)
    assert decisions == [1, 2]
    payloads = await assert_consistent(ctx, note.note_id)
    assert [p.reason for p in payloads if isinstance(p, SignatureDeclined)] == [
        "other",
        "attempt-2",
    ]
    async with ctx.store.pool.acquire() as conn:
        assert await tables.load_handwriting(conn, ctx.schema, "attempt-1") is None
        assert await tables.load_handwriting(conn, ctx.schema, "attempt-2") is not None
    async with ctx.store.transaction() as tx:
        assert not await tx.mark_processed("test", marked)  # the mark was committed


async def _decided(event: SignatureDeclined) -> Decision:
    return Decision([event])


async def test_both_parties_signing_at_the_same_moment_end_in_order(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    for _ in range(3):
        note = Note()
        await feed(ctx, note.note_id, note.frozen())
        await feed(ctx, note.note_id, note.locked())
        results = await outcomes(
            signing.sign(ctx, sign_request(identity, note, note.initiator)),
            signing.sign(ctx, sign_request(identity, note, note.counterparty)),
        )
        assert codes(results) in (["ok", "ok"], ["not_your_turn", "ok"])
        signed = [
            p for p in await assert_consistent(ctx, note.note_id) if isinstance(p, PartySigned)
        ]
        assert signed[0].party_id == note.initiator
        assert [s.sequence for s in signed] == list(range(1, len(signed) + 1))
        if len(signed) == 2:
            assert signed[1].previous_signature == signed[0].signature.value


async def test_one_party_signing_twice_at_once_signs_once(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    results = await outcomes(
        *(signing.sign(ctx, sign_request(identity, note, note.initiator)) for _ in range(3))
    )
    assert codes(results).count("ok") == 1
    assert set(codes(results)) <= {"ok", "already_signed"}
    signed = [p for p in await assert_consistent(ctx, note.note_id) if isinstance(p, PartySigned)]
    assert len(signed) == 1


async def test_two_void_requests_racing_leave_exactly_one_open(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    final = (await completed(ctx, identity, note)).final_digest
    assert final is not None
    results = await outcomes(
        voiding.request_void(ctx, void_request(identity, note, note.initiator, final)),
        voiding.request_void(
            ctx, void_request(identity, note, note.counterparty, final, reason_code="wrong_terms")
        ),
    )
    assert codes(results) == ["ok", "void_already_open"]
    payloads = await assert_consistent(ctx, note.note_id)
    assert sum(isinstance(p, VoidRequested) for p in payloads) == 1
    async with ctx.store.pool.acquire() as conn:
        due = await tables.due_voids(conn, ctx.schema, ctx.clock() + ctx.settings.void_ttl)
    assert due == [note.note_id]


async def test_the_key_of_a_party_signing_several_notes_at_once_is_made_once(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    party, rounds = uuid.uuid4(), 3
    notes = [Note(initiator=party) for _ in range(rounds)]
    for note in notes:
        await feed(ctx, note.note_id, note.frozen())
    results = await outcomes(*(signing.sign(ctx, sign_request(identity, n, party)) for n in notes))
    assert codes(results) == ["ok"] * rounds
    assert await ctx.store.stream_version(party) == 1
    key_ids = {r.key_id for r in results if isinstance(r, SignResult)}
    assert len(key_ids) == 1


async def test_the_consumer_reads_on_its_own_transaction_so_a_busy_pool_cannot_deadlock(
    settings: Settings, identity: FakeIdentity, clock: Clock
) -> None:
    # More drafting events in flight than connections: each holds its consumer transaction's
    # connection, so one that waited for a second connection would wait for ever.
    small = await connect_pool(settings.database_url, max_size=2)
    try:
        ctx = signing_context(small, settings.schema_for("signing"), identity, clock)
        notes = [Note() for _ in range(6)]
        await asyncio.wait_for(
            asyncio.gather(*(feed(ctx, n.note_id, n.frozen()) for n in notes)), 20
        )
        for note in notes:
            assert (await load(ctx, note.note_id)).status.value == "open"
    finally:
        await small.close()
