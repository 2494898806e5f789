"""Signing the next checkpoint, and the rules that keep a log from ever forking."""

from __future__ import annotations

from collections.abc import Sequence

from services.evidence.domain.checkpoint import Checkpoint
from services.evidence.domain.merkle import verify_consistency
from services.evidence.domain.note import Signer, sign_note


class ForkRefused(RuntimeError):  # noqa: N818 - a refusal to sign, by design
    """Signing this checkpoint would contradict one the log already signed."""


def sign_next_checkpoint(
    previous: Checkpoint | None,
    current: Checkpoint,
    consistency: Sequence[bytes],
    signers: Sequence[Signer],
) -> str:
    """The signed note of `current`, only if it extends `previous` (checked with the proof)."""
    if previous is not None:
        if previous.origin != current.origin:
            raise ForkRefused("the origin changed")
        if current.size < previous.size:
            raise ForkRefused("the tree would shrink")
        if current.size == previous.size and current.root != previous.root:
            raise ForkRefused("a second root for the same size")
        if not verify_consistency(
            previous.size, current.size, previous.root, current.root, consistency
        ):
            raise ForkRefused("the new tree is not consistent with the last checkpoint")
    return sign_note(current.body(), signers)
