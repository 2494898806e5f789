"""The red 已完成签署 seal: SVG and PNG, with the completion time (Asia/Shanghai) and digest.

Both formats are drawn from one layout, so they show the same thing. Rendering is pure: the same
inputs give the same bytes (with the same Pillow and zlib), and the bytes' hashes go into
NoteCompleted; the stamp keeps the bytes themselves, so a later renderer never has to agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

from services.signing.domain.glyphs import GLYPHS, Stroke
from services.signing.domain.seal_png import BandedPng

SHANGHAI = ZoneInfo("Asia/Shanghai")
TITLE = "已完成签署"
RED = "#D7261E"
SIZE = 320
_GLYPH = 50.0  # side of one character's box
_TEXT_TOP = 118.0
_K = 2  # the PNG is drawn at twice its size and scaled down, for smooth edges


@dataclass(frozen=True)
class Seal:
    svg: bytes
    png: bytes


def time_line(completed_at: datetime) -> str:
    return completed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S UTC+8")


def digest_line(final_digest: str) -> str:
    return f"SHA-256 {final_digest[:8]} {final_digest[8:16]}"


def _strokes() -> list[list[tuple[float, float]]]:
    """Every stroke of the title in seal coordinates, centred on one line."""
    left = (SIZE - _GLYPH * len(TITLE)) / 2
    lines: list[list[tuple[float, float]]] = []
    for index, char in enumerate(TITLE):
        glyph: tuple[Stroke, ...] = GLYPHS[char]
        x0 = left + index * _GLYPH + _GLYPH * 0.08
        scale = _GLYPH * 0.84 / 100
        lines.extend(
            [(x0 + x * scale, _TEXT_TOP + y * scale) for x, y in stroke] for stroke in glyph
        )
    return lines


def _svg(time_text: str, digest_text: str) -> bytes:
    centre = SIZE / 2
    polylines = "".join(
        f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in line)}"/>'
        for line in _strokes()
    )
    text = f'font-family="DejaVu Sans Mono, monospace" text-anchor="middle" fill="{RED}"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="{TITLE}">'
        f"<title>{TITLE} {escape(time_text)} {escape(digest_text)}</title>"
        f'<circle cx="{centre}" cy="{centre}" r="150" fill="none" stroke="{RED}" stroke-width="9"/>'
        f'<circle cx="{centre}" cy="{centre}" r="137" fill="none" stroke="{RED}" stroke-width="2"/>'
        f'<polygon points="{_star_points()}" fill="{RED}"/>'
        f'<g fill="none" stroke="{RED}" stroke-width="5" stroke-linecap="round" '
        f'stroke-linejoin="round">{polylines}</g>'
        f'<text x="{centre}" y="206" font-size="13" {text}>{escape(time_text)}</text>'
        f'<text x="{centre}" y="228" font-size="13" {text}>{escape(digest_text)}</text>'
        "</svg>"
    ).encode()


def _star() -> list[tuple[float, float]]:
    cx, cy, outer, inner = SIZE / 2, 72.0, 26.0, 10.5
    return [
        (
            cx + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
            cy - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]


def _star_points() -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in _star())


@cache
def _layout_2x() -> Image.Image:
    """Rings, star and title at twice the size: the same for every note, so drawn once."""
    image = Image.new("RGBA", (SIZE * _K, SIZE * _K), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    c, k = SIZE * _K / 2, _K
    draw.ellipse((c - 150 * k, c - 150 * k, c + 150 * k, c + 150 * k), outline=RED, width=9 * k)
    draw.ellipse((c - 137 * k, c - 137 * k, c + 137 * k, c + 137 * k), outline=RED, width=2 * k)
    draw.polygon([(x * k, y * k) for x, y in _star()], fill=RED)
    for line in _strokes():
        points = [(x * k, y * k) for x, y in line]
        draw.line(points, fill=RED, width=5 * k, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - 2.5 * k, y - 2.5 * k, x + 2.5 * k, y + 2.5 * k), fill=RED)
    return image


@cache
def _layout() -> Image.Image:
    return _layout_2x().reduce(_K)


# Rows of the two text lines at twice the size, with room above and below every glyph; even, so
# that the strip reduces to exactly the pixels it covers in the whole seal reduced.
_STRIP_TOP, _STRIP_BOTTOM = 180 * _K, 250 * _K


@cache
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=13 * _K)


@cache
def _encoder() -> BandedPng:
    return BandedPng(_layout(), _STRIP_TOP // _K, _STRIP_BOTTOM // _K)


def _png(time_text: str, digest_text: str) -> bytes:
    # Only the strip with the text is drawn, reduced and compressed per note (the rest is the
    # same for every note): the pixels are those of drawing the whole seal, for a fifth of them.
    strip = _layout_2x().crop((0, _STRIP_TOP, SIZE * _K, _STRIP_BOTTOM))
    draw = ImageDraw.Draw(strip)
    c, font = SIZE * _K / 2, _font()
    draw.text((c, 206 * _K - _STRIP_TOP), time_text, fill=RED, font=font, anchor="ms")
    draw.text((c, 228 * _K - _STRIP_TOP), digest_text, fill=RED, font=font, anchor="ms")
    # Averaging each 2×2 block is the supersampling that smooths the edges.
    return _encoder().encode(strip.reduce(_K))


def render_seal(completed_at: datetime, final_digest: str) -> Seal:
    time_text, digest_text = time_line(completed_at), digest_line(final_digest)
    return Seal(svg=_svg(time_text, digest_text), png=_png(time_text, digest_text))
