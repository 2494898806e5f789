"""Resident identity numbers (GB 11643-1999): 6-digit address code, 8-digit birth date,
3-digit sequence and an ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from services.identity.domain.errors import Refusal
from services.identity.domain.provinces import PROVINCE_CODES

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# The oldest standard example is born in 1880; nothing earlier can belong to a living person.
EARLIEST_BIRTH_YEAR = 1880
_SEVENTEEN_DIGITS = re.compile(r"^[0-9]{17}[0-9X]$")


class IdNumberError(Refusal):
    """An ID number refused, naming the rule it breaks."""

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(code, message, message_zh, field="id_number")


@dataclass(frozen=True)
class IdNumber:
    value: str
    province_code: str
    birth_date: date
    sequence: str

    @property
    def is_male(self) -> bool:
        return int(self.sequence[-1]) % 2 == 1


def normalise_id_number(text: str) -> str:
    """Full-width digits and a lower-case x are common in pasted numbers; spaces too."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def check_character(first_seventeen: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first_seventeen, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse_id_number(text: str) -> IdNumber:
    """The ID number if it is well formed; otherwise `IdNumberError` naming the rule broken."""
    value = normalise_id_number(text)
    _check_shape(value)
    if value[:2] not in PROVINCE_CODES:
        raise IdNumberError(
            "id_number_region",
            f"unknown province code {value[:2]} in the first two digits",
            message_zh=f"身份证号码前两位地区代码 {value[:2]} 不存在",
        )
    birth = _birth_date(value[6:14])
    if check_character(value[:17]) != value[17]:
        raise IdNumberError(
            "id_number_check_character",
            "the check character (18th) does not match: the number has a typo",
            message_zh="身份证号码校验位（第18位）不符，请检查是否输错",
        )
    return IdNumber(value=value, province_code=value[:2], birth_date=birth, sequence=value[14:17])


def _check_shape(value: str) -> None:
    if len(value) == 15 and value.isdigit():
        raise IdNumberError(
            "id_number_legacy",
            "15-digit ID numbers (GB 11643-1989) are no longer accepted: enter the 18-digit number",
            message_zh="不再接受15位旧版身份证号码，请输入18位身份证号码",
        )
    if len(value) != 18:
        raise IdNumberError(
            "id_number_length",
            f"an ID number has 18 characters, this one has {len(value)}",
            message_zh=f"身份证号码应为18位，当前为{len(value)}位",
        )
    if not _SEVENTEEN_DIGITS.match(value):
        raise IdNumberError(
            "id_number_characters",
            "an ID number is 17 digits followed by a digit or X",
            message_zh="身份证号码应为17位数字加1位数字或X",
        )


def _birth_date(text: str) -> date:
    try:
        birth = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        birth = None
    if birth is None or birth.year < EARLIEST_BIRTH_YEAR:
        raise IdNumberError(
            "id_number_birth_date",
            "digits 7-14 are not a real birth date (YYYYMMDD)",
            message_zh="身份证号码第7至14位不是有效的出生日期（年月日）",
        )
    return birth


def age_on(birth: date, on: date) -> int:
    """Completed years on `on`; someone born on 29 February turns a year older on 1 March."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
