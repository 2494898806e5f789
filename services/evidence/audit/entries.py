"""Log entries read as `decode_entry` reads them, most with one pattern match.

`decode_entry` parses an entry's JSON, validates every field and encodes them again to prove the
entry is exactly what `LeafEntry.encode` writes: most of the log checks' time. The pattern below
matches only entries that `encode` writes for valid fields (every text printable ASCII without a
quote or backslash, so JSON writes it as it is; a canonical base64 commitment of 32 bytes; a
version in range), and `decode_entry` would give back the very fields matched. Whatever it does
not match (a quote in a field, a changed or damaged entry) goes through `decode_entry` itself.
"""

from __future__ import annotations

import binascii
import re
from typing import NamedTuple

from services.evidence.domain.leaf import decode_entry

_TEXT = rb'"([\x21\x23-\x5b\x5d-\x7e]{1,200})"'  # printable ASCII but space, `"` and `\`
# 32 bytes are 43 base64 digits and a "=": the last digit's 2 low bits are unused, hence zero.
_COMMITMENT = rb'"([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)"'
_ENTRY = re.compile(
    rb'\{"commitment":' + _COMMITMENT + rb',"event_id":' + _TEXT + rb',"event_type":' + _TEXT
    + rb',"origin":' + _TEXT + rb',"received_at":' + _TEXT + rb',"source":' + _TEXT
    + rb',"stream_id":' + _TEXT + rb',"version":([1-9][0-9]{0,9})\}'
)  # fmt: skip
_MAX_VERSION = 2**31 - 1


class EntryFacts(NamedTuple):
    """What the log checks compare of an entry with its leaf's columns and its event."""

    event_id: str
    stream_id: str
    version: int
    commitment: bytes


def entry_facts(entry: bytes) -> EntryFacts:
    """The fields of `decode_entry(entry)`; raises what it raises for an entry it refuses."""
    match = _ENTRY.fullmatch(entry)
    if match is None or int(match[8]) > _MAX_VERSION:
        parsed = decode_entry(entry)
        return EntryFacts(parsed.event_id, parsed.stream_id, parsed.version, parsed.commitment)
    commitment, event_id, _, _, _, _, stream_id, version = match.groups()
    return EntryFacts(
        event_id.decode(), stream_id.decode(), int(version), binascii.a2b_base64(commitment)
    )
