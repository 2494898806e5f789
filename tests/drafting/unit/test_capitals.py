"""Chinese capital numerals round-trip through a parser written here, independently."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.drafting.domain.money import MAX_CAPITALS, capitals

DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
SMALL_UNIT = {"拾": 10, "佰": 100, "仟": 1000}
WELL_FORMED = re.compile(r"^[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分]+[整分]$")


def parse_yuan(text: str) -> int:
    total = section = number = 0
    for char in text:
        if char in DIGIT:
            number = DIGIT[char]
        elif char in SMALL_UNIT:
            section += number * SMALL_UNIT[char]
            number = 0
        elif char == "万":
            total += (section + number) * 10_000
            section = number = 0
        elif char == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
        else:
            raise ValueError(char)
    return total + section + number


def parse(text: str) -> Decimal:
    assert WELL_FORMED.match(text), text
    assert ("零零" not in text and not text.startswith("零")) or text == "零元整"
    body = text.removesuffix("整")
    yuan_text, _, cents = body.rpartition("元")
    jiao = re.search(r"(.)角", cents)
    fen = re.search(r"(.)分", cents)
    assert re.fullmatch(r"零?(.角)?(.分)?", cents), text
    fen_total = parse_yuan(yuan_text) * 100
    fen_total += 10 * DIGIT[jiao.group(1)] if jiao else 0
    fen_total += DIGIT[fen.group(1)] if fen else 0
    return Decimal(fen_total) / 100


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.01", "壹分"),
        ("10", "壹拾元整"),
        ("100000.00", "壹拾万元整"),
        ("10005.60", "壹万零伍元陆角整"),
        ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
        ("1.05", "壹元零伍分"),
        ("0.50", "伍角整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("101000", "壹拾万壹仟元整"),
        ("100000001", "壹亿零壹元整"),
        ("100010000", "壹亿零壹万元整"),
        ("99999.99", "玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_known_amounts(amount: str, expected: str) -> None:
    assert capitals(Decimal(amount)) == expected
    assert parse(expected) == Decimal(amount)


@given(st.integers(min_value=1, max_value=int(MAX_CAPITALS * 100)))
def test_any_amount_round_trips(fen: int) -> None:
    amount = Decimal(fen) / 100
    assert parse(capitals(amount)) == amount


@given(st.integers(min_value=1, max_value=10_000_000))
def test_small_amounts_round_trip(fen: int) -> None:
    amount = Decimal(fen) / 100
    assert parse(capitals(amount)) == amount


@pytest.mark.parametrize("amount", ["-0.01", "0.001", "1000000000000.00"])
def test_amounts_without_capitals_are_refused(amount: str) -> None:
    with pytest.raises(ValueError, match="no capitals"):
        capitals(Decimal(amount))
