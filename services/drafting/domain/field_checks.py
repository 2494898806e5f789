"""Checks every template shares: required and bounded text, positive amounts in fen."""

from __future__ import annotations

from decimal import Decimal

from services.drafting.domain.errors import InvalidTerms
from services.drafting.domain.money import has_fen_precision

Problems = list[InvalidTerms]


def refuse(field: str, rule: str, en: str, zh: str) -> InvalidTerms:
    return InvalidTerms(field, rule, en, zh)


def text_problems(field: str, value: str, limit: int, *, required: bool) -> Problems:
    if required and not value.strip():
        return [refuse(field, "required", f"{field} is required", f"{field} 为必填项")]
    if len(value.strip()) > limit:
        return [
            refuse(
                field,
                "too_long",
                f"{field} has more than {limit} characters",
                f"{field} 不得超过{limit}个字",
            )
        ]
    return []


def amount_problems(field: str, amount: Decimal, limit: Decimal) -> Problems:
    if not amount.is_finite() or amount <= 0:
        return [refuse(field, "not_positive", f"{field} must be above 0", f"{field} 必须大于0")]
    if not has_fen_precision(amount):
        return [
            refuse(
                field,
                "fen_precision",
                f"{field} has more than 2 decimal places",
                f"{field} 最多保留两位小数（精确到分）",
            )
        ]
    if amount > limit:
        return [
            refuse(
                field,
                "above_limit",
                f"{field} must be at most {limit:,} CNY",
                f"{field} 不得超过人民币{limit:,}元",
            )
        ]
    return []
