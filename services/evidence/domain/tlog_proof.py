"""C2SP `tlog-proof@v1`: index, inclusion path and the signed checkpoint, as one text file.

The `extra` line carries the log entry itself, so the proof alone rebuilds the leaf hash.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from services.evidence.domain.merkle import HASH_SIZE

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"^index (0|[1-9][0-9]{0,19})$")


class ProofFormatError(ValueError):
    """Text that is not a tlog-proof."""


@dataclass(frozen=True)
class TlogProof:
    index: int
    path: list[bytes]
    checkpoint_note: str
    extra: bytes | None = None

    def text(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {base64.b64encode(self.extra).decode()}")
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.path]
        return "\n".join(lines) + "\n\n" + self.checkpoint_note


def _b64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ProofFormatError("not base64") from error
    if base64.b64encode(raw).decode() != text:
        raise ProofFormatError("not canonical base64")
    return raw


def parse_tlog_proof(text: str) -> TlogProof:
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != HEADER:
        raise ProofFormatError("not a c2sp.org/tlog-proof@v1")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = _b64(rest.pop(0)[len("extra ") :])
    if not rest or not (match := _INDEX.match(rest[0])):
        raise ProofFormatError("missing index line")
    path = [_b64(line) for line in rest[1:]]
    if any(len(h) != HASH_SIZE for h in path):
        raise ProofFormatError("proof hashes must be 32 bytes")
    return TlogProof(int(match.group(1)), path, note, extra)
