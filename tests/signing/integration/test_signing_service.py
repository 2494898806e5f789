"""Signing's use cases on the real PostgreSQL: a whole IOU, its stamp, its stored evidence, and
refusals that leave nothing behind."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid

import pytest
from PIL import Image

from services.signing.adapters import tables
from services.signing.application import models as m
from services.signing.application import queries, signing
from services.signing.application.context import SigningContext
from services.signing.domain.errors import SigningRefused
from services.signing.domain.verification import verify_note
from shared.catalogue.signing import NoteCompleted, PartySigned, SigningKeyPublished
from shared.commands import CommandRejected
from shared.events import Envelope
from tests.signing.integration.support import Clock, FakeIdentity, completed, feed, sign_request
from tests.signing.support import Note, handwriting_input


async def published_events(ctx: SigningContext, note: Note) -> list[Envelope]:
    keys = [e for p in (note.initiator, note.counterparty) for e in await ctx.store.read_stream(p)]
    frozen = Envelope.new(
        note.frozen(), stream_id=note.note_id, version=9, correlation_id=uuid.uuid4(), actor="d"
    )
    return [*keys, frozen, *await ctx.store.read_stream(note.note_id)]


async def test_an_iou_signed_by_both_completes_with_a_stored_stamp_and_verifiable_events(
    ctx: SigningContext, identity: FakeIdentity, clock: Clock
) -> None:
    note = Note()
    result = await completed(ctx, identity, note)
    assert result.completed
    assert result.status == "completed"
    events = await ctx.store.read_stream(note.note_id)
    assert [e.event_type for e in events] == [
        "SigningOpened", "PartySigned", "TermsLockRecorded", "PartySigned", "NoteCompleted"
    ]  # fmt: skip
    done = events[-1].payload
    assert isinstance(done, NoteCompleted)
    assert done.final_digest == result.final_digest
    assert done.completed_at == clock.now
    verdict = verify_note(await published_events(ctx, note))
    assert verdict.valid, verdict.problems

    png = await queries.stamp(ctx, m.StampRequest(note_id=note.note_id, format="png"))
    image = Image.open(io.BytesIO(base64.b64decode(png.content_base64)))
    assert (png.media_type, image.size) == ("image/png", (320, 320))
    svg = await queries.stamp(ctx, m.StampRequest(note_id=note.note_id, format="svg"))
    assert "已完成签署" in base64.b64decode(svg.content_base64).decode()
    assert hashlib.sha256(base64.b64decode(svg.content_base64)).hexdigest() == done.stamp_svg_sha256


async def test_each_party_s_key_is_published_once_and_its_private_half_is_sealed(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    first, second = Note(), Note()
    second.initiator = first.initiator
    await completed(ctx, identity, first)
    await completed(ctx, identity, second)
    published = [e.payload for e in await ctx.store.read_stream(first.initiator)]
    assert len(published) == 1
    assert isinstance(published[0], SigningKeyPublished)
    async with ctx.store.pool.acquire() as conn:
        key = await tables.load_key(conn, ctx.schema, first.initiator)
    assert key is not None
    assert key.public_key not in key.ciphertext
    assert base64.b64encode(key.public_key).decode() == published[0].public_key


async def test_the_handwriting_is_stored_sealed_under_its_hash(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await completed(ctx, identity, note)
    signed = next(
        e.payload
        for e in await ctx.store.read_stream(note.note_id)
        if isinstance(e.payload, PartySigned)
    )
    async with ctx.store.pool.acquire() as conn:
        sealed = await tables.load_handwriting(conn, ctx.schema, signed.handwriting.digest)
    assert sealed is not None
    png = base64.b64decode(handwriting_input()["png_base64"])
    assert png not in sealed[2]
    opened = ctx.vault.open(sealed, f"jietiao.handwriting:{signed.handwriting.digest}".encode())
    assert base64.b64encode(png).decode().encode() in opened


@pytest.mark.parametrize(
    "code",
    [
        "ticket_invalid", "ticket_expired", "ticket_replayed", "ticket_wrong_note",
        "ticket_wrong_digest", "ticket_wrong_party", "ticket_wrong_purpose",
    ],
)  # fmt: skip
async def test_identity_s_ticket_refusals_pass_through_and_nothing_is_saved(
    ctx: SigningContext, identity: FakeIdentity, code: str
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    identity.refuse_with = code
    with pytest.raises(CommandRejected) as refused:
        await signing.sign(ctx, sign_request(identity, note, note.initiator))
    assert refused.value.code == code
    assert await ctx.store.stream_version(note.note_id) == 1
    assert await ctx.store.stream_version(note.initiator) == 0


async def test_a_real_ticket_bound_elsewhere_is_refused_by_what_it_is_bound_to(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    other = identity.issue(note.initiator, uuid.uuid4(), note.digest)
    with pytest.raises(CommandRejected) as refused:
        await signing.sign(ctx, sign_request(identity, note, note.initiator, ticket=other))
    assert refused.value.code == "ticket_wrong_note"
    request = sign_request(identity, note, note.initiator)
    await signing.sign(ctx, request)
    await feed(ctx, note.note_id, note.locked())
    replay = sign_request(identity, note, note.counterparty, ticket=request.ticket)
    with pytest.raises(CommandRejected) as refused:
        await signing.sign(ctx, replay)
    assert refused.value.code == "ticket_wrong_party"


async def test_refusals_checked_before_the_ticket_leave_the_ticket_unspent(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    early = sign_request(identity, note, note.counterparty)
    with pytest.raises(SigningRefused) as refused:
        await signing.sign(ctx, early)
    assert refused.value.code == "not_your_turn"
    no_intent = sign_request(identity, note, note.initiator, intent_confirmed=False)
    with pytest.raises(SigningRefused, match="intent"):
        await signing.sign(ctx, no_intent)
    bad_hand = sign_request(
        identity, note, note.initiator, handwriting={"strokes": [], "png_base64": ""}
    )
    with pytest.raises(SigningRefused) as refused:
        await signing.sign(ctx, bad_hand)
    assert (refused.value.code, refused.value.field) == ("handwriting_empty", "handwriting.strokes")
    assert identity.redeemed == set()


async def test_a_signer_whose_identity_no_longer_matches_is_refused(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    identity.unverified.add(note.initiator)
    ticket = sign_request(identity, note, note.initiator)
    with pytest.raises(CommandRejected) as refused:  # identity's refusal, passed through
        await signing.sign(ctx, ticket)
    assert refused.value.code == "identity_mismatch"
    assert identity.redeemed == set()  # refused before the ticket is spent
    identity.unverified.clear()
    await signing.sign(ctx, ticket)


async def test_a_decline_ends_the_note(ctx: SigningContext, identity: FakeIdentity) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    await signing.sign(ctx, sign_request(identity, note, note.initiator))
    decline = m.DeclineRequest(
        note_id=note.note_id,
        party_id=note.counterparty,
        document_digest=note.digest,
        reason="利率不对",
    )
    assert (await signing.decline_signing(ctx, decline)).status == "declined"
    with pytest.raises(SigningRefused) as refused:
        await signing.sign(ctx, sign_request(identity, note, note.counterparty))
    assert refused.value.code == "note_declined"
    with pytest.raises(SigningRefused) as refused:
        await queries.stamp(ctx, m.StampRequest(note_id=note.note_id))
    assert refused.value.code == "not_completed"


async def test_a_receipt_completes_on_the_payee_s_signature_once_drafting_locks_it(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note(template="receipt", initiator_role="payer")
    await feed(ctx, note.note_id, note.frozen())
    signed = await signing.sign(ctx, sign_request(identity, note, note.counterparty))
    assert not signed.completed
    await feed(ctx, note.note_id, note.locked(by=note.counterparty))
    state = await queries.signing_state(ctx, m.NoteRequest(note_id=note.note_id))
    assert state.status == "completed"
    assert state.signed_by == [note.counterparty]
    assert verify_note(await published_events(ctx, note)).valid


async def test_signatures_that_raced_an_amendment_lapse_and_never_complete_the_note(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    await signing.sign(ctx, sign_request(identity, note, note.initiator))
    stale = sign_request(identity, note, note.counterparty)
    await signing.sign(ctx, stale)  # before drafting's lock: it amended instead
    await feed(ctx, note.note_id, note.amended())
    state = await queries.signing_state(ctx, m.NoteRequest(note_id=note.note_id))
    assert (state.status, state.signed_by) == ("awaiting_document", [])
    await feed(ctx, note.note_id, note.frozen())
    with pytest.raises(SigningRefused) as refused:
        await signing.sign(ctx, stale.model_copy(update={"ticket": "unused"}))
    assert refused.value.code == "stale_digest"
    await signing.sign(ctx, sign_request(identity, note, note.initiator))
    await feed(ctx, note.note_id, note.locked())
    done = await signing.sign(ctx, sign_request(identity, note, note.counterparty))
    assert done.completed
    verdict = verify_note(await published_events(ctx, note))
    assert verdict.valid, verdict.problems
    assert verdict.signers == [note.initiator, note.counterparty]


async def test_a_cancellation_closes_signing_for_good(
    ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    await signing.sign(ctx, sign_request(identity, note, note.initiator))
    await feed(ctx, note.note_id, note.cancelled())
    await feed(ctx, note.note_id, note.locked())  # a lock that lost the race changes nothing
    state = await queries.signing_state(ctx, m.NoteRequest(note_id=note.note_id))
    assert state.status == "cancelled"
    with pytest.raises(SigningRefused) as refused:
        await signing.sign(ctx, sign_request(identity, note, note.counterparty))
    assert refused.value.code == "note_cancelled"
