"""The C2SP `tlog-checkpoint` body: origin, tree size and base64 root hash, one per line."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from services.evidence.domain.merkle import HASH_SIZE

_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")


class CheckpointError(ValueError):
    """A checkpoint body that is not in the C2SP format."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(body: str) -> Checkpoint:
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise CheckpointError("a checkpoint is origin, size and root, each ending in a newline")
    origin, size, root = lines[:3]
    if not origin or any(c.isspace() for c in origin):
        raise CheckpointError("bad origin line")
    if not _SIZE.match(size):
        raise CheckpointError("tree size must be decimal without leading zeros")
    try:
        root_hash = base64.b64decode(root, validate=True)
    except binascii.Error as error:
        raise CheckpointError("root hash is not base64") from error
    if len(root_hash) != HASH_SIZE or base64.b64encode(root_hash).decode() != root:
        raise CheckpointError("root hash is not 32 bytes in canonical base64")
    return Checkpoint(origin, int(size), root_hash)
