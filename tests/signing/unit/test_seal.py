"""The red 已完成签署 seal, as SVG and PNG, with the time in Asia/Shanghai and a short digest."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import cast

from PIL import Image, ImageDraw, ImageFont

from services.signing.domain.glyphs import GLYPHS
from services.signing.domain.seal import (
    RED,
    TITLE,
    _layout_2x,
    digest_line,
    render_seal,
    time_line,
)

COMPLETED = datetime(2026, 3, 1, 17, 5, 9, tzinfo=UTC)  # 2026-03-02 01:05:09 in Shanghai
DIGEST = "0123456789abcdef" + "f" * 48


def test_the_svg_names_the_title_and_shows_the_shanghai_time_and_short_digest() -> None:
    svg = render_seal(COMPLETED, DIGEST).svg.decode()
    assert svg.startswith("<svg")
    assert 'aria-label="已完成签署"' in svg
    assert "2026-03-02 01:05:09 UTC+8" in svg
    assert "SHA-256 01234567 89abcdef" in svg
    assert svg.count("<polyline") == sum(len(GLYPHS[c]) for c in TITLE)
    assert "#D7261E" in svg


def test_the_png_is_a_red_seal_on_a_transparent_ground() -> None:
    seal = render_seal(COMPLETED, DIGEST)
    image = Image.open(io.BytesIO(seal.png)).convert("RGBA")
    assert image.size == (320, 320)
    pixel = image.load()
    assert pixel is not None
    assert cast(tuple[int, ...], pixel[2, 2])[3] == 0  # outside the ring
    r, g, b, a = cast(tuple[int, int, int, int], pixel[160, 10])  # on the outer ring
    assert max(abs(r - 0xD7), abs(g - 0x26), abs(b - 0x1E)) <= 2
    assert a > 230
    red, green, _, alpha = (channel.tobytes() for channel in image.split())
    reds = sum(1 for i in range(len(red)) if alpha[i] > 200 and red[i] > 180 and green[i] < 80)
    assert reds > 5000


def test_rendering_is_deterministic_and_depends_on_time_and_digest() -> None:
    assert render_seal(COMPLETED, DIGEST) == render_seal(COMPLETED, DIGEST)
    assert render_seal(COMPLETED, "e" + DIGEST[1:]).png != render_seal(COMPLETED, DIGEST).png


def test_the_png_is_the_whole_seal_drawn_at_twice_the_size_and_reduced() -> None:
    # Only the text strip is drawn per note: its pixels must be those of drawing the whole seal,
    # with any time and digest.
    latest = datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
    for completed, digest in ((COMPLETED, DIGEST), (latest, "f" * 64), (latest, "8" * 64)):
        whole = _layout_2x().copy()
        draw = ImageDraw.Draw(whole)
        font = ImageFont.load_default(size=26)
        draw.text((320, 412), time_line(completed), fill=RED, font=font, anchor="ms")
        draw.text((320, 456), digest_line(digest), fill=RED, font=font, anchor="ms")
        png = Image.open(io.BytesIO(render_seal(completed, digest).png))
        assert png.mode == "RGBA"
        assert png.tobytes() == whole.reduce(2).tobytes()
