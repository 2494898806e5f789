"""What may be shown of personal data: enough to recognise it, too little to use it."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """`11010519491231002X` → `1101**********002X`: the region prefix and the last four."""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`."""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name(name: str) -> str:
    """`张三丰` → `*三丰`: the family name hidden, as Chinese apps commonly show a name."""
    return "*" + name[1:] if len(name) > 1 else "*"
