"""The counterparty's display name and phone as the initiator types them: checked, normalised."""

from __future__ import annotations

import re

from services.drafting.domain.errors import InvalidTerms

DISPLAY_NAME_LIMIT = 50
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()]")


def normalised_contact(display_name: str, phone: str) -> tuple[str, str]:
    """(name, phone) stripped, the phone as 11 digits without +86; raises InvalidTerms."""
    name = " ".join(display_name.split())
    if not name:
        raise InvalidTerms(
            "counterparty.display_name",
            "required",
            "the counterparty's name is required",
            "请填写对方姓名",
        )
    if len(name) > DISPLAY_NAME_LIMIT:
        raise InvalidTerms(
            "counterparty.display_name",
            "too_long",
            f"the counterparty's name has more than {DISPLAY_NAME_LIMIT} characters",
            f"对方姓名不得超过{DISPLAY_NAME_LIMIT}个字",
        )
    digits = _SEPARATORS.sub("", phone).removeprefix("+86").removeprefix("0086")
    if not _MAINLAND_MOBILE.match(digits):
        raise InvalidTerms(
            "counterparty.phone",
            "invalid_phone",
            "the phone must be a mainland China mobile number (11 digits starting with 1)",
            "请填写有效的中国大陆手机号（以1开头的11位数字）",
        )
    return name, digits


def masked_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]
