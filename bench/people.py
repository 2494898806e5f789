"""Generated people for the lifecycle driver: unique phones, valid GB 11643 ID numbers aged 26 to
55, Chinese legal names, a face photo and handwriting the development providers accept."""

from __future__ import annotations

import base64
import io
import itertools
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from PIL import Image, ImageDraw

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
_FIRST_BIRTH = date(1972, 1, 1)
_BIRTH_DAYS = 365 * 28  # born 1972 to 1999: 22 to 60 on any start date for years to come
# One counter per process from a random start: two runs in one namespace draw different people.
_people = itertools.count(random.randrange(_BIRTH_DAYS * 500))


def id_number(birth: date, sequence: int) -> str:
    """A GB 11643 number with a valid check character (Beijing Chaoyang, `sequence` 0..999)."""
    body = f"110105{birth:%Y%m%d}{sequence:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class Identity:
    phone: str
    legal_name: str
    id_number: str


def new_identity() -> Identity:
    """A person nobody else in this process has been (phone and ID number both unique)."""
    n = next(_people)
    birth = _FIRST_BIRTH + timedelta(days=n % _BIRTH_DAYS)
    name = _SURNAMES[n % len(_SURNAMES)] + _GIVEN[(n // 7) % len(_GIVEN)]
    return Identity(f"13{n % 10**9:09d}", name, id_number(birth, (n // _BIRTH_DAYS) % 1000))


def _png(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


FACE_PNG = _png(Image.new("RGB", (96, 128), (210, 160, 130)))


def _stroke() -> list[tuple[float, float, int]]:
    return [(10 + 200 * i / 39, 50 + 30 * math.sin(i / 3), i * 15) for i in range(40)]


def _handwriting() -> dict[str, Any]:
    points = _stroke()
    image = Image.new("RGBA", (240, 120), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(x, y) for x, y, _ in points], fill=(0, 0, 0, 255), width=3)
    return {"strokes": [[list(p) for p in points]], "png_base64": _png(image)}


HANDWRITING = _handwriting()


def iou_terms(start: date) -> dict[str, Any]:
    return {
        "template": "iou",
        "initiator_role": "lender",
        "principal": "20000.00",
        "purpose": "装修",
        "start_date": start.isoformat(),
        "due_date": (start + timedelta(days=365)).isoformat(),
        "annual_rate_percent": "6",
        "repayment_method": "bullet",
        "delivery_method": "bank_transfer",
    }
