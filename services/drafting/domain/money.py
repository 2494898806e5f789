"""Amounts in fen, and the amount in Chinese capital numerals (大写金额) shown beside the figures.

Capitals follow the People's Bank rules for filling in bills (正确填写票据和结算凭证的基本规定):
- `元` closes the yuan part, which is left out when it is zero (0.05 → 伍分);
- `整` follows the last unit when there are no fen (10 → 壹拾元整, 0.50 → 伍角整);
- one `零` stands for any run of zeros inside the figures (10,005.60 → 壹万零伍元陆角整), and
  for zero jiao before fen (1.05 → 壹元零伍分); no `零` is written between `元` and jiao;
- the leading ten keeps its 壹 (100,000.00 → 壹拾万元整), as bills require.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
MAX_CAPITALS = Decimal("999999999999.99")

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")
_GROUPS = ("", "万", "亿")


def has_fen_precision(amount: Decimal) -> bool:
    """Whether nothing but zeros stands below the fen. Read off the digits, not by quantize:
    quantizing an absurd amount (1.5E+301) overflows the context and raises."""
    if not amount.is_finite():
        return False
    _, digits, exponent = amount.as_tuple()
    below_fen = -2 - int(exponent)
    return below_fen <= 0 or not any(digits[-below_fen:])


def to_fen(amount: Decimal) -> Decimal:
    """Round half up to the fen: the one rounding rule for money in this service."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def _group_text(group: int) -> str:
    text, zero_pending = "", False
    for digit, place in zip(f"{group:04d}", _PLACES, strict=True):
        if digit == "0":
            zero_pending = bool(text)
            continue
        if zero_pending:
            text += "零"
            zero_pending = False
        text += _DIGITS[int(digit)] + place
    return text


def _yuan_text(yuan: int) -> str:
    groups = [(yuan // 10**8) % 10**4, (yuan // 10**4) % 10**4, yuan % 10**4]
    text, gap = "", False
    for group, unit in zip(groups, reversed(_GROUPS), strict=True):
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _group_text(group) + unit
        gap = False
    return text


def capitals(amount: Decimal) -> str:
    """壹万贰仟叁佰肆拾伍元陆角柒分 for 12,345.67; `amount` in fen, 0 ≤ amount ≤ MAX_CAPITALS."""
    if not (has_fen_precision(amount) and Decimal(0) <= amount <= MAX_CAPITALS):
        raise ValueError(f"no capitals for {amount}")
    fen_total = int(amount * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    text = _yuan_text(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif fen and yuan:
        text += "零"
    return text + (_DIGITS[fen] + "分" if fen else "整")
