"""`shared.events.canonical_bytes` takes the C `json` encoder when that gives the RFC 8785 bytes:
it must give exactly the `rfc8785` package's bytes, or fail where the package fails, for any input
(floats, integers beyond 2**53, keys above U+FFFF, non-string keys, tuples, lone surrogates)."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.events import canonical_bytes

keys = st.text() | st.sampled_from(["\ufb33", "\U0001f600", "\u20ac", "a", "\ud800"])
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**53 - 2, max_value=2**53 + 1)
    | st.floats()
    | st.text()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(keys, inner, max_size=4)
        | st.dictionaries(st.integers() | st.booleans(), inner, min_size=1, max_size=2)
    ),
    max_leaves=20,
)


def _package(document: Any) -> bytes | type[BaseException]:
    try:
        return rfc8785.dumps(document)
    except Exception as error:
        return type(error)


def _ours(document: Any) -> bytes | type[BaseException]:
    try:
        return canonical_bytes(document)
    except Exception as error:
        return type(error)


@settings(max_examples=500)
@given(st.dictionaries(keys, values, max_size=6))
def test_any_document_gives_the_packages_bytes_or_its_error(document: dict[str, Any]) -> None:
    assert _ours(document) == _package(document)


@pytest.mark.parametrize(
    "document",
    [
        {"\U0001f600": 1, "\ufb33": 2},  # UTF-16 order differs from code-point order
        {"a": 1.0, "b": 1e16, "c": -0.0, "d": 5e-7},  # ECMAScript number forms
        {"a": 2**53 - 1, "b": -(2**53) + 1},
        {"a": (1, 2), "b": [{"c": (3,)}]},
        {"s": '\u0000\u001f "\\/\b\f\n\r\t\u007f\u2028€😀借条'},
        {"nested": {"z": None, "y": True, "x": False, "w": []}},
    ],
)
def test_edge_documents_encode_as_the_package_encodes_them(document: dict[str, Any]) -> None:
    assert canonical_bytes(document) == rfc8785.dumps(document)


@pytest.mark.parametrize(
    "document",
    [
        {"a": 2**53},
        {"a": float("nan")},
        {"a": float("inf")},
        {1: "a"},
        {"a": "\ud800"},
        {"\udfff": "a"},
        {"a": b"bytes"},
        {"a": {1, 2}},
    ],
)
def test_what_the_package_refuses_is_refused(document: dict[Any, Any]) -> None:
    refused = _package(document)
    assert isinstance(refused, type)
    assert _ours(document) is refused
