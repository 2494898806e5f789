"""RFC 8785 (JCS) bytes of the JSON documents the parties sign, on the standard library alone.

Enough for what signing signs and hashes: objects, arrays, strings, integers, booleans and null.
Floats are refused rather than guessed at (their JCS form is ECMAScript's number formatting, and
no signed message of ours holds one), as are integers beyond ±(2⁵³ − 1), strings that are not
valid Unicode (lone surrogates) and keys that are not strings: a verifier that cannot rebuild the
exact bytes must say "cannot check", never "does not verify" nor "verifies".
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

_MAX_INT = 2**53 - 1
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_ESCAPES["\t"] = "\\t"


class NotCanonicalError(ValueError):
    """A value this encoder cannot turn into the exact RFC 8785 bytes."""


def _string(text: str) -> str:
    parts = ['"']
    for char in text:
        if char in _ESCAPES:
            parts.append(_ESCAPES[char])
        elif char < " ":
            parts.append(f"\\u{ord(char):04x}")
        else:
            parts.append(char)
    parts.append('"')
    return "".join(parts)


def _utf16_units(key: object) -> bytes:
    """RFC 8785 §3.2.3 orders keys by their UTF-16 code units, which big-endian bytes compare as;
    code-point order (Python's `sorted`) differs for characters above U+FFFF."""
    if not isinstance(key, str):
        raise NotCanonicalError(f"an object key is a {type(key).__name__}, not a string")
    try:
        return key.encode("utf-16-be")
    except UnicodeEncodeError as error:
        raise NotCanonicalError("an object key is not valid Unicode") from error


def _value(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not -_MAX_INT <= value <= _MAX_INT:
            raise NotCanonicalError(f"the integer {value} is beyond JSON's exact range")
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        ordered = sorted(value.items(), key=lambda item: _utf16_units(item[0]))
        return "{" + ",".join(f"{_string(k)}:{_value(v)}" for k, v in ordered) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_value(v) for v in value) + "]"
    raise NotCanonicalError(f"a {type(value).__name__} has no canonical form here")


def canonical_bytes(document: Mapping[str, object]) -> bytes:
    try:
        return _value(document).encode("utf-8")
    except UnicodeEncodeError as error:
        raise NotCanonicalError("a string is not valid Unicode") from error


def digest_hex(document: Mapping[str, object]) -> str:
    """Hex SHA-256 of the canonical bytes: how signing names documents and handwriting."""
    return hashlib.sha256(canonical_bytes(document)).hexdigest()
