"""GB 11643-1999 ID numbers: the standard examples, every single-character typo, the rules."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.identity.domain.id_number import (
    IdNumberError,
    age_on,
    check_character,
    parse_id_number,
)
from services.identity.domain.provinces import PROVINCE_CODES


@pytest.mark.parametrize(
    ("number", "birth"),
    [("11010519491231002X", date(1949, 12, 31)), ("440524188001010014", date(1880, 1, 1))],
)
def test_the_standard_examples_pass(number: str, birth: date) -> None:
    parsed = parse_id_number(number)
    assert (parsed.value, parsed.birth_date) == (number, birth)


def test_a_lower_case_x_and_full_width_digits_are_normalised() -> None:
    assert parse_id_number(" 11010519491231002x ").value == "11010519491231002X"
    assert parse_id_number("４４０５２４１８８００１０１００１４").value == "440524188001010014"


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(sorted(PROVINCE_CODES))) + draw(
        st.from_regex(r"[0-9]{4}", fullmatch=True)
    )
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    sequence = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    first = f"{region}{birth:%Y%m%d}{sequence}"
    return first + check_character(first)


@given(valid_numbers())
def test_every_single_character_change_is_caught(number: str) -> None:
    assert parse_id_number(number).value == number
    for position, original in enumerate(number):
        for replacement in "0123456789X":
            if replacement == original:
                continue
            changed = number[:position] + replacement + number[position + 1 :]
            with pytest.raises(IdNumberError):
                parse_id_number(changed)


def with_check(first_seventeen: str) -> str:
    return first_seventeen + check_character(first_seventeen)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (with_check("11010519990230002"), "id_number_birth_date"),  # 30 February
        (with_check("11010519991301002"), "id_number_birth_date"),  # month 13
        (with_check("11010518700101002"), "id_number_birth_date"),  # before 1880
        (with_check("99010519491231002"), "id_number_region"),
        (with_check("00010519491231002"), "id_number_region"),
        ("110105491231002", "id_number_legacy"),
        ("1101051949123100", "id_number_length"),
        ("11010519491231002XX", "id_number_length"),
        ("1101051949123100XX", "id_number_characters"),
        ("A1010519491231002X", "id_number_characters"),
        ("110105194912310021", "id_number_check_character"),
    ],
)
def test_a_refusal_names_the_rule(number: str, code: str) -> None:
    with pytest.raises(IdNumberError) as refused:
        parse_id_number(number)
    assert refused.value.code == code
    assert refused.value.field == "id_number"
    assert refused.value.message
    assert refused.value.message_zh


def test_the_legacy_form_says_to_use_the_18_digit_number() -> None:
    with pytest.raises(IdNumberError) as refused:
        parse_id_number("110105491231002")
    assert "18" in refused.value.message
    assert "18" in refused.value.message_zh


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2000, 6, 15), date(2022, 6, 14), 21),
        (date(2000, 6, 15), date(2022, 6, 15), 22),
        (date(2000, 2, 29), date(2022, 2, 28), 21),
        (date(2000, 2, 29), date(2022, 3, 1), 22),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
    ],
)
def test_age_counts_completed_years(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age
