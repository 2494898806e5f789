"""The stdlib RFC 8785 encoder gives the bytes of the `rfc8785` package signing uses, orders keys
by UTF-16 code units, and refuses what it cannot encode exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from services.evidence.domain.jcs import NotCanonicalError, canonical_bytes


def test_keys_are_sorted_by_utf16_code_units_as_rfc_8785_sorts_them() -> None:
    # RFC 8785 §3.2.3's example: U+1F600 (surrogates D83D DE00) sorts before U+FB33,
    # although code-point order would put it after.
    keys = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
    document = {key: "" for key in keys}
    ordered = list(json.loads(canonical_bytes(document)))
    assert ordered == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert ordered != sorted(keys)


def test_strings_are_escaped_as_rfc_8785_escapes_them() -> None:
    document = {"s": '\u0000\u001f "\\/\b\f\n\r\t\u007f€😀'}
    assert canonical_bytes(document) == (
        b'{"s":"\\u0000\\u001f \\"\\\\/\\b\\f\\n\\r\\t\x7f\xe2\x82\xac\xf0\x9f\x98\x80"}'
    )
    assert canonical_bytes(document) == rfc8785.dumps(document)


def test_a_signing_message_is_byte_for_byte_the_packages() -> None:
    document = {
        "format": "jietiao.void.v1",
        "note_id": "4f1c6c8e-58b4-4a53-9a5c-0b1f4d1d7a21",
        "note_version": 2,
        "reason": {"code": "other", "text": "已还清，谢谢！\n"},
        "signer": {"previous_signature": None, "ticket_id": "x", "ok": True, "no": False},
        "list": [1, -1, 0, 2**53 - 1, -(2**53) + 1, [], {}],
    }
    assert canonical_bytes(document) == rfc8785.dumps(document)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_any_document_without_floats_encodes_as_the_package_encodes_it(
    document: dict[str, Any],
) -> None:
    assert canonical_bytes(document) == rfc8785.dumps(document)


@pytest.mark.parametrize(
    "document",
    [
        {"a": 1.5},
        {"a": 1.0},
        {"a": 2**53},
        {"a": -(2**53)},
        {1: "a"},
        {"a": "\ud800"},
        {"\udfff": "a"},
        {"a": b"bytes"},
        {"a": {"b": [float("nan")]}},
    ],
)
def test_what_it_cannot_encode_exactly_it_refuses(document: dict[Any, Any]) -> None:
    with pytest.raises(NotCanonicalError):
        canonical_bytes(document)
