"""Handwriting is refused when empty, degenerate or oversized, each with its own code."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from services.signing.domain.errors import SigningRefused
from services.signing.domain.handwriting import (
    MAX_PNG_BYTES,
    MAX_POINTS,
    Point,
    handwriting_digest,
    validated_handwriting,
)
from tests.signing.support import handwriting_png, stroke_points


def code_of(strokes: list[list[Point]], png: bytes | None = None) -> str:
    with pytest.raises(SigningRefused) as refused:
        validated_handwriting(strokes, png if png is not None else handwriting_png())
    return refused.value.code


def blank_png(size: tuple[int, int] = (200, 100)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (255, 255, 255, 0)).save(out, format="PNG")
    return out.getvalue()


def test_a_real_looking_signature_is_accepted_and_hashed_from_both_parts() -> None:
    signature = validated_handwriting([stroke_points()], handwriting_png())
    ref = signature.ref
    assert ref.digest == handwriting_digest(ref.png_sha256, ref.strokes_sha256)
    moved = validated_handwriting([stroke_points(width=201)], handwriting_png())
    assert moved.ref.strokes_sha256 != ref.strokes_sha256
    assert moved.ref.digest != ref.digest


@pytest.mark.parametrize(
    ("strokes", "code"),
    [
        ([], "handwriting_empty"),
        ([[], []], "handwriting_empty"),
        ([stroke_points(n=5)], "handwriting_too_few_points"),
        ([[(100.0, 100.0, i * 20) for i in range(30)]], "handwriting_degenerate"),  # one dot
        ([[(100.0 + i * 0.3, 100.0, i * 20) for i in range(30)]], "handwriting_degenerate"),
        (
            [[(100.0 + (i % 2) * 10, 100.0 + i, i * 20) for i in range(12)]],
            "handwriting_degenerate",
        ),
        ([[(x, y, 0) for x, y, _ in stroke_points()]], "handwriting_bad_timing"),
        ([list(reversed(stroke_points()))], "handwriting_bad_timing"),
        ([[(x, y + 5000, t) for x, y, t in stroke_points()]], "handwriting_out_of_bounds"),
        ([[(float("nan"), y, t) for x, y, t in stroke_points()]], "handwriting_out_of_bounds"),
        ([stroke_points(n=MAX_POINTS + 1)], "handwriting_oversized"),
        ([stroke_points(n=12)] * 65, "handwriting_oversized"),
    ],
    ids=[
        "no strokes",
        "empty strokes",
        "too few points",
        "one dot",
        "zero extent",
        "a tiny scribble",
        "no time passes",
        "time runs backwards",
        "off the canvas",
        "not a number",
        "too many points",
        "too many strokes",
    ],
)
def test_degenerate_empty_or_oversized_strokes_are_refused(
    strokes: list[list[Point]], code: str
) -> None:
    assert code_of(strokes) == code


def test_the_png_must_be_a_readable_non_blank_png_of_bounded_size() -> None:
    strokes = [stroke_points()]
    assert code_of(strokes, b"GIF89a....") == "handwriting_png_invalid"
    assert code_of(strokes, b"\x89PNG\r\n\x1a\nrubbish") == "handwriting_png_invalid"
    assert code_of(strokes, blank_png()) == "handwriting_empty"
    assert code_of(strokes, blank_png((3000, 10))) == "handwriting_oversized"
    assert code_of(strokes, b"\x89PNG\r\n\x1a\n" + bytes(MAX_PNG_BYTES)) == "handwriting_oversized"


coordinates = st.one_of(st.floats(min_value=-10, max_value=5000), st.just(float("nan")))
points = st.tuples(coordinates, coordinates, st.integers(min_value=-5, max_value=700_000))


def outcome(strokes: list[list[Point]]) -> tuple[str, str | None]:
    try:
        validated_handwriting(strokes, handwriting_png())
    except SigningRefused as refused:
        return refused.code, refused.field
    return "accepted", None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(points, max_size=30), max_size=5))
def test_any_strokes_are_either_accepted_or_refused_with_a_handwriting_code(
    strokes: list[list[Point]],
) -> None:
    code, field = outcome(strokes)
    if code == "accepted":
        assert sum(len(s) for s in strokes) >= 10
    else:
        assert code.startswith("handwriting_")
        assert field == "handwriting.strokes"
