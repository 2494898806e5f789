"""The note summary: what each event changes, the status it shows, and the same result for
any interleaving of drafting's and signing's streams (so a replay equals the live fold)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.gateway.domain.summary import NoteSummary, fold, status
from services.gateway.domain.timeline import detail, label_zh
from shared.catalogue import drafting as d
from shared.catalogue import signing as s
from shared.events import Envelope, EventPayload

NOTE = uuid.uuid4()
LENDER, BORROWER = uuid.uuid4(), uuid.uuid4()
T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
DIGEST = "ab" * 32
TERMS = d.IouTerms(
    initiator_role="lender",
    principal=Decimal("10000.00"),
    purpose="装修",
    start_date=date(2026, 3, 1),
    due_date=date(2026, 9, 1),
    repayment_method=d.RepaymentMethod.BULLET,
    delivery_method=d.DeliveryMethod.CASH,
)
HANDWRITING = s.HandwritingRef(digest=DIGEST, png_sha256=DIGEST, strokes_sha256=DIGEST)
SIGNATURE = s.DigitalSignature(key_id="k", message_format="m", value="c2ln")


def check(party: uuid.UUID) -> s.SignerCheck:
    return s.SignerCheck(
        ticket_id=uuid.uuid4(), method="face", identity_commitment="c", intent_version="1"
    )


def envelopes(payloads: list[EventPayload], minutes: int) -> list[Envelope]:
    return [
        Envelope.new(
            p,
            stream_id=NOTE,
            version=i + 1,
            correlation_id=uuid.uuid4(),
            actor="test",
            occurred_at=T0 + timedelta(minutes=minutes + i),
        )
        for i, p in enumerate(payloads)
    ]


DRAFTING = envelopes(
    [
        d.NoteDrafted(
            note_version=1,
            template=d.Template.IOU,
            template_version="1",
            template_text="…",
            disclaimer_version="2026-01",
            disclaimer_accepted_at=T0,
            initiator_party_id=LENDER,
            initiator_identity_commitment="c",
            contact_commitment="c",
            terms=TERMS,
        ),
        d.CounterpartyInvited(token_hash=DIGEST, expires_at=T0 + timedelta(days=7)),
        d.CounterpartyJoined(
            party_id=BORROWER,
            role="borrower",
            identity_commitment="c",
            token_hash=DIGEST,
            name_matches=True,
        ),
        d.NoteFrozenForSigning(
            note_version=1,
            document_digest=DIGEST,
            document={},
            initiator_party_id=LENDER,
            counterparty_party_id=BORROWER,
            counterparty_identity_commitment="c",
        ),
        d.NoteTermsLocked(note_version=1, signed_by=LENDER, signature_event_id=uuid.uuid4()),
    ],
    0,
)


def signed(party: uuid.UUID, sequence: int) -> s.PartySigned:
    return s.PartySigned(
        note_id=NOTE,
        note_version=1,
        party_id=party,
        role="x",
        document_digest=DIGEST,
        sequence=sequence,
        previous_signature=None,
        signature=SIGNATURE,
        handwriting=HANDWRITING,
        check=check(party),
    )


SIGNING = envelopes(
    [
        s.SigningOpened(
            note_version=1,
            document_digest=DIGEST,
            template="iou",
            initiator_party_id=LENDER,
            initiator_role="lender",
            initiator_identity_commitment="c",
            counterparty_party_id=BORROWER,
            counterparty_role="borrower",
            counterparty_identity_commitment="c",
            signers=(LENDER, BORROWER),
            frozen_event_id=uuid.uuid4(),
        ),
        signed(LENDER, 1),
        signed(BORROWER, 2),
        s.NoteCompleted(
            note_version=1,
            document_digest=DIGEST,
            final_digest=DIGEST,
            completed_at=T0,
            signers=(LENDER, BORROWER),
            stamp_svg_sha256=DIGEST,
            stamp_png_sha256=DIGEST,
        ),
    ],
    5,
)


def fold_all(events: list[tuple[str, Envelope]]) -> NoteSummary:
    note: NoteSummary | None = None
    for source, event in events:
        note = fold(note, source, event)
    assert note is not None
    return note


def test_each_stage_shows_its_status() -> None:
    seen = []
    note: NoteSummary | None = None
    for event in DRAFTING[:4]:
        note = fold(note, "drafting", event)
        seen.append(status(note))
    assert seen == ["draft", "invited", "joined", "signing"]
    assert note is not None
    assert note.parties() == {LENDER: "lender", BORROWER: "borrower"}
    assert note.amount == Decimal("10000.00")
    for event in SIGNING:
        note = fold(note, "signing", event)
    assert status(note) == "completed"
    assert note.signed_by == (LENDER, BORROWER)


def test_a_void_and_a_cancel_show_as_such() -> None:
    completed = fold_all([("drafting", e) for e in DRAFTING] + [("signing", e) for e in SIGNING])
    void_id = uuid.uuid4()
    request = envelopes(
        [
            s.VoidRequested(
                void_id=void_id,
                requested_by=LENDER,
                role="lender",
                reason_code="settled",
                reason_text="",
                final_digest=DIGEST,
                expires_at=T0,
                signature=SIGNATURE,
                handwriting=HANDWRITING,
                check=check(LENDER),
            ),
            s.NoteVoided(void_id=void_id, final_digest=DIGEST, reason_code="settled", voided_at=T0),
        ],
        20,
    )
    pending = fold(completed, "signing", request[0])
    assert status(pending) == "void_pending"
    assert status(fold(pending, "signing", request[1])) == "voided"
    cancelled = envelopes([d.NoteCancelled(cancelled_by=LENDER)], 30)[0]
    assert status(fold(fold(None, "drafting", DRAFTING[0]), "drafting", cancelled)) == "cancelled"


@st.composite
def interleavings(draw: st.DrawFn) -> list[tuple[str, Envelope]]:
    """Both streams in their own order, merged in any way."""
    sources = draw(st.permutations(["drafting"] * len(DRAFTING) + ["signing"] * len(SIGNING)))
    streams = {"drafting": iter(DRAFTING), "signing": iter(SIGNING)}
    return [(source, next(streams[source])) for source in sources]


@given(interleavings())
def test_any_interleaving_of_the_two_streams_folds_to_the_same_summary(
    events: list[tuple[str, Envelope]],
) -> None:
    in_order = fold_all([("drafting", e) for e in DRAFTING] + [("signing", e) for e in SIGNING])
    assert fold_all(events) == in_order


def test_the_timeline_shows_codes_and_versions_never_the_terms() -> None:
    shown = detail(DRAFTING[0])
    assert shown == {"note_version": 1}
    assert label_zh("NoteCompleted") == "已完成签署"
    assert label_zh("SomethingNew") == "SomethingNew"
