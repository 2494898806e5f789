"""Phone numbers and legal names as typed, brought to the one form that is stored and compared."""

from __future__ import annotations

import re
import unicodedata

from services.identity.domain.errors import Refusal

_MAINLAND_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
# Han characters, Latin letters, the middle dot of transliterated names, and single spaces.
_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134fA-Za-z·]+( [A-Za-z·]+)*$")
_MIDDLE_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", ".": "·"})


def normalise_phone(text: str) -> str:
    """An 11-digit mainland mobile number, or `Refusal` on field `phone`."""
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", text))
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    if not _MAINLAND_MOBILE.match(digits):
        raise Refusal(
            "phone_invalid",
            "a mainland mobile number has 11 digits and starts with 13-19",
            message_zh="请输入11位中国大陆手机号码（以13至19开头）",
            field="phone",
        )
    return digits


def normalise_legal_name(text: str) -> str:
    """The name as on the ID card, or `Refusal` on field `legal_name`."""
    name = " ".join(unicodedata.normalize("NFKC", text).translate(_MIDDLE_DOTS).split())
    if not 2 <= len(name) <= 40 or not _NAME.match(name):
        raise Refusal(
            "legal_name_invalid",
            "the legal name is 2 to 40 Chinese characters or letters, as on the ID card",
            message_zh="姓名应为2至40个汉字或字母，与身份证一致",
            field="legal_name",
        )
    return name
