"""The canonical bytes of a stored event, as `shared.events.canonical_bytes` gives them, cheaper.

`canonical_bytes` may not trust its input: it encodes with the C `json` encoder, then decodes the
text again to prove the document held only plain JSON (no float, no integer beyond ±(2**53 - 1),
no tuple or foreign type that `json` would coerce), else it takes the `rfc8785` package. The
audit builds each stored document itself, from typed columns and a payload decoded by a decoder
that refuses floats and inexact integers: such a document is plain by construction, and its
encoding needs no proof. Anything else goes through `canonical_bytes`, so the bytes are the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shared.events import canonical_bytes

_MAX_EXACT_INT = 2**53 - 1


class _NotPlainError(Exception):
    pass


def _no_float(text: str) -> float:
    raise _NotPlainError  # JCS writes floats as ECMAScript does, `json` as `repr` does


def _exact_int(text: str) -> int:
    value = int(text)
    if -_MAX_EXACT_INT <= value <= _MAX_EXACT_INT:
        return value
    raise _NotPlainError


_PLAIN = json.JSONDecoder(parse_float=_no_float, parse_int=_exact_int)
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def decode_json(text: str) -> tuple[Any, bool]:
    """`json.loads(text)`, and whether the value is plain JSON (no float, no inexact integer)."""
    try:
        return _PLAIN.decode(text), True
    except _NotPlainError:
        return json.loads(text), False


def canonical_of(document: Mapping[str, Any], plain: bool) -> bytes:
    """`canonical_bytes(document)`; `plain` only if every value in it is a str (str keys), a
    bool, None, an int within ±(2**53 - 1), or a list or dict of those."""
    if plain:
        text = _ENCODER.encode(document)
        try:
            if text.isascii() or not _has_astral(text):
                return text.encode()
        except UnicodeEncodeError:  # a lone surrogate: `rfc8785` decides
            pass
    return canonical_bytes(document)


def _has_astral(text: str) -> bool:
    """Above U+FFFF, code-point order (`sort_keys`) and JCS's UTF-16 order of keys can differ.
    UTF-16 takes two units for each such character and one for any other: a count, cheaper
    than searching the text."""
    return len(text.encode("utf-16-le")) != 2 * len(text)
