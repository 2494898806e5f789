"""What the pack verifier says of the parties' signatures when it cannot rebuild the signed bytes:
"cannot check", a failure, never a pass."""

from __future__ import annotations

import copy

from services.evidence.domain.parties import NAME, check_parties
from tests.evidence.unit.party_notes import completed_iou_docs


def test_a_completed_iou_reports_its_signatures() -> None:
    assert check_parties(completed_iou_docs()) == [(NAME, True, "2 party signature(s) verify")]


def test_a_float_in_the_signed_document_cannot_be_checked_and_fails() -> None:
    docs = completed_iou_docs()
    [frozen] = [d for d in docs if d["event_type"] == "NoteFrozenForSigning"]
    frozen["payload"]["document"]["terms"]["rate"] = 0.1
    [(name, ok, detail)] = check_parties(docs)
    assert (name, ok) == (NAME, False)
    assert detail.startswith("cannot check: ")


def test_an_event_of_another_schema_version_cannot_be_checked() -> None:
    docs = completed_iou_docs()
    later = copy.deepcopy(docs)
    next(d for d in later if d["event_type"] == "PartySigned")["schema_version"] = 2
    assert check_parties(later) == [
        (NAME, False, "cannot check: PartySigned of schema version other than 1")
    ]


def test_an_extra_field_cannot_be_checked() -> None:
    docs = completed_iou_docs()
    next(d for d in docs if d["event_type"] == "PartySigned")["payload"]["signature"]["x"] = 1
    assert check_parties(docs) == [
        (
            NAME,
            False,
            "cannot check: PartySigned.signature has other fields than signing writes: x",
        )
    ]


def test_a_note_nobody_signed_says_so() -> None:
    signed = ("PartySigned", "NoteCompleted")
    unsigned = [d for d in completed_iou_docs() if d["event_type"] not in signed]
    assert check_parties(unsigned) == [(NAME, True, "the note carries no signature yet")]
