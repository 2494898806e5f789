"""The 22-60 age gate, masking, and how phones and names are normalised."""

from __future__ import annotations

from datetime import date

import pytest

from services.identity.domain.age import age_refusal
from services.identity.domain.contact import normalise_legal_name, normalise_phone
from services.identity.domain.errors import Refusal
from services.identity.domain.masking import mask_id_number, mask_name, mask_phone

BIRTH = date(1990, 5, 20)


@pytest.mark.parametrize(
    ("on", "refusal"),
    [
        (date(2012, 5, 19), "too_young"),
        (date(2012, 5, 20), None),  # 22 today
        (date(2051, 5, 19), None),  # still 60
        (date(2051, 5, 20), "too_old"),  # 61 today
    ],
)
def test_parties_are_22_to_60_inclusive(on: date, refusal: str | None) -> None:
    assert age_refusal(BIRTH, on) == refusal


def test_masks_show_too_little_to_use() -> None:
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "*三丰"


@pytest.mark.parametrize(
    "typed", ["13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "１３８１２３４５６７８"]
)
def test_phones_are_normalised(typed: str) -> None:
    assert normalise_phone(typed) == "13812345678"


@pytest.mark.parametrize("typed", ["12812345678", "1381234567", "phone", "138123456789"])
def test_a_bad_phone_is_refused_on_its_field(typed: str) -> None:
    with pytest.raises(Refusal) as refused:
        normalise_phone(typed)
    assert (refused.value.code, refused.value.field) == ("phone_invalid", "phone")


def test_names_are_normalised() -> None:
    assert normalise_legal_name("  张三 ") == "张三"
    assert normalise_legal_name("买买提•艾力") == "买买提·艾力"


@pytest.mark.parametrize("typed", ["张", "张三1", "<script>", "a" * 41])
def test_a_bad_name_is_refused_on_its_field(typed: str) -> None:
    with pytest.raises(Refusal) as refused:
        normalise_legal_name(typed)
    assert (refused.value.code, refused.value.field) == ("legal_name_invalid", "legal_name")
