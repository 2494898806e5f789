"""The handwritten signature: strokes as captured (points with timing) plus the rendered PNG.

Refused when empty, degenerate (too few points, no extent, a single dot, time running backwards
or not at all) or oversized. What is kept is hashed: the event carries only the hashes, the
bytes are stored encrypted beside the note.
"""

from __future__ import annotations

import functools
import hashlib
import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from services.signing.domain.errors import SigningRefused
from shared.catalogue.signing import HandwritingRef
from shared.events import canonical_bytes, digest

Point = tuple[float, float, int]  # x, y in canvas units; t in milliseconds since the first point

MIN_POINTS = 10
MIN_EXTENT = 20.0  # the larger side of the bounding box, in canvas units
MIN_PATH_LENGTH = 40.0
MIN_DURATION_MS = 100
MAX_STROKES = 64
MAX_POINTS = 5000
MAX_COORDINATE = 4096.0
MAX_DURATION_MS = 10 * 60 * 1000
MAX_PNG_BYTES = 512 * 1024
MAX_PNG_SIDE = 2048
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Handwriting:
    """A validated handwritten signature and the hashes that stand for it."""

    strokes: tuple[tuple[Point, ...], ...]
    png: bytes

    def strokes_document(self) -> list[list[list[float | int]]]:
        return [[[x, y, t] for x, y, t in stroke] for stroke in self.strokes]

    @functools.cached_property
    def ref(self) -> HandwritingRef:
        """Computed once: the strokes' floats take the `rfc8785` package's slow path, and a
        signature is hashed for its event and again for its sealed copy."""
        png_sha256 = hashlib.sha256(self.png).hexdigest()
        strokes_sha256 = hashlib.sha256(canonical_bytes({"s": self.strokes_document()})).hexdigest()
        return HandwritingRef(
            digest=handwriting_digest(png_sha256, strokes_sha256),
            png_sha256=png_sha256,
            strokes_sha256=strokes_sha256,
        )


def handwriting_digest(png_sha256: str, strokes_sha256: str) -> str:
    document = {
        "kind": "jietiao.handwriting",
        "png_sha256": png_sha256,
        "strokes_sha256": strokes_sha256,
    }
    return digest(document).hex()


def _refuse(code: str, en: str, zh: str, field: str = "handwriting.strokes") -> SigningRefused:
    return SigningRefused(code, en, zh, field)


def _check_sizes(strokes: Sequence[Sequence[Point]]) -> None:
    if not strokes or not any(strokes):
        raise _refuse("handwriting_empty", "the handwritten signature is empty", "手写签名为空")
    points = sum(len(s) for s in strokes)
    if len(strokes) > MAX_STROKES or points > MAX_POINTS:
        raise _refuse(
            "handwriting_oversized",
            f"at most {MAX_STROKES} strokes and {MAX_POINTS} points are accepted",
            f"手写签名过大：最多 {MAX_STROKES} 笔、{MAX_POINTS} 个点",
        )
    if points < MIN_POINTS:
        raise _refuse(
            "handwriting_too_few_points",
            f"a handwritten signature needs at least {MIN_POINTS} points",
            f"手写签名至少需要 {MIN_POINTS} 个点",
        )


def _check_geometry(points: list[Point]) -> None:
    for x, y, _ in points:
        if not (math.isfinite(x) and math.isfinite(y)) or not (
            0 <= x <= MAX_COORDINATE and 0 <= y <= MAX_COORDINATE
        ):
            raise _refuse(
                "handwriting_out_of_bounds",
                f"points must lie within 0..{MAX_COORDINATE:.0f}",
                "手写签名的坐标超出画布范围",
            )
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    extent = max(max(xs) - min(xs), max(ys) - min(ys))
    if extent < MIN_EXTENT:
        raise _refuse(
            "handwriting_degenerate",
            "the handwritten signature is a dot, not a signature",
            "手写签名只是一个点，不是有效签名",
        )


def _check_path(strokes: Sequence[Sequence[Point]]) -> None:
    length = sum(
        math.dist(a[:2], b[:2]) for stroke in strokes for a, b in itertools.pairwise(stroke)
    )
    if length < MIN_PATH_LENGTH:
        raise _refuse(
            "handwriting_degenerate",
            "the handwritten signature has almost no strokes",
            "手写签名笔画过少",
        )


def _check_timing(points: list[Point]) -> None:
    times = [t for _, _, t in points]
    if any(b < a for a, b in itertools.pairwise(times)) or times[0] < 0:
        raise _refuse(
            "handwriting_bad_timing",
            "point times must start at 0 or later and never decrease",
            "手写签名的时间戳不能倒退",
        )
    duration = times[-1] - times[0]
    if not MIN_DURATION_MS <= duration <= MAX_DURATION_MS:
        raise _refuse(
            "handwriting_bad_timing",
            f"a handwritten signature takes between {MIN_DURATION_MS} ms and 10 minutes",
            "手写签名的书写时长不合理",
        )


def _check_png(png: bytes) -> None:
    field = "handwriting.png"
    if len(png) > MAX_PNG_BYTES:
        raise _refuse(
            "handwriting_oversized", "the PNG is larger than 512 KiB", "签名图片超过 512 KiB", field
        )
    if not png.startswith(_PNG_MAGIC):
        raise _refuse(
            "handwriting_png_invalid", "the image must be a PNG", "签名图片必须是 PNG", field
        )
    try:
        with Image.open(io.BytesIO(png)) as image:
            if max(image.size) > MAX_PNG_SIDE:
                raise _refuse(
                    "handwriting_oversized",
                    f"the PNG may be at most {MAX_PNG_SIDE} pixels a side",
                    f"签名图片边长不得超过 {MAX_PNG_SIDE} 像素",
                    field,
                )
            extrema = image.convert("LA").getextrema()
            blank = all(low == high for low, high in extrema)  # type: ignore[misc]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _refuse(
            "handwriting_png_invalid", "the PNG cannot be read", "签名图片无法读取", field
        ) from error
    if blank:
        raise _refuse(
            "handwriting_empty", "the signature image is blank", "签名图片是空白的", field
        )


def validated_handwriting(strokes: Sequence[Sequence[Point]], png: bytes) -> Handwriting:
    """The handwriting, if it looks like one person's signature; else a typed refusal."""
    _check_sizes(strokes)
    points = [p for stroke in strokes for p in stroke]
    _check_geometry(points)
    _check_path(strokes)
    _check_timing(points)
    _check_png(png)
    return Handwriting(tuple(tuple(s) for s in strokes if s), png)
