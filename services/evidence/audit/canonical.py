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

from shared.events import PLAIN_JSON, SORTED_COMPACT, NotPlainJson, canonical_bytes, has_astral


def decode_json(text: str) -> tuple[Any, bool]:
    """`json.loads(text)`, and whether the value is plain JSON (no float, no inexact integer)."""
    try:
        return PLAIN_JSON.decode(text), True
    except NotPlainJson:
        return json.loads(text), False


def canonical_of(document: Mapping[str, Any], plain: bool) -> bytes:
    """`canonical_bytes(document)`; `plain` only if every value in it is a str (str keys), a
    bool, None, an int within ±(2**53 - 1), or a list or dict of those."""
    if plain:
        text = SORTED_COMPACT.encode(document)
        try:
            if not has_astral(text):
                return text.encode()
        except UnicodeEncodeError:  # a lone surrogate: `rfc8785` decides
            pass
    return canonical_bytes(document)
