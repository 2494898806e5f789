"""Offline verification of a signed (and perhaps voided) note from its published events alone.

Inputs: the note's events from drafting (for the frozen document) and from signing, plus the
parties' `SigningKeyPublished` events (or their keys). Nothing of ours is trusted: the document
digest is recomputed from the document, each signature message is rebuilt with the signature
*before it in the stream* (not the one the event claims), so a change to the terms, to a
handwriting hash, to a signer or to the order makes some check fail. A note signed only in part
verifies what is there (`completed` stays False).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from services.signing.domain.drafting_facts import opened_from
from services.signing.domain.messages import (
    SIGN_FORMAT,
    SignerFacts,
    final_digest,
    signing_message,
)
from services.signing.domain.verification.checks import (
    Keys,
    Verdict,
    check_handwriting,
    check_signature,
    payloads,
)
from services.signing.domain.verification.voids import verify_voids
from shared.catalogue.drafting import NoteFrozenForSigning
from shared.catalogue.signing import NoteCompleted, PartySigned
from shared.events import Envelope, digest

__all__ = ["Verdict", "verify_note"]


def _verify_signatures(
    frozen: NoteFrozenForSigning, signed: list[PartySigned], keys: Keys, verdict: Verdict
) -> str:
    """The final digest these signatures make, noting every problem found on the way."""
    note_id = uuid.UUID(str(frozen.document.get("note_id")))
    recomputed = digest(frozen.document).hex()
    opened = opened_from(frozen, uuid.UUID(int=0))
    commitments = {
        opened.initiator_party_id: opened.initiator_identity_commitment,
        opened.counterparty_party_id: opened.counterparty_identity_commitment,
    }
    expected = opened.signers if verdict.completed else opened.signers[: len(signed)]
    if [s.party_id for s in signed] != list(expected):
        verdict.problems.append("the signers or their order differ from the note's signing order")
    previous: str | None = None
    for sequence, s in enumerate(signed, start=1):
        claims = (s.note_id, s.document_digest, s.sequence, s.previous_signature)
        if claims != (note_id, recomputed, sequence, previous):
            verdict.problems.append(f"party {s.party_id} claims another note, digest or place")
        if commitments.get(s.party_id) != s.check.identity_commitment:
            verdict.problems.append(f"identity commitment of party {s.party_id} is not the note's")
        check_handwriting(s.handwriting, s.party_id, verdict)
        facts = SignerFacts(s.party_id, s.role, s.handwriting.digest, previous, s.check)
        message = (SIGN_FORMAT, signing_message(note_id, frozen.note_version, recomputed, facts))
        check_signature(keys, s.party_id, s.signature, message, verdict)
        verdict.signers.append(s.party_id)
        previous = s.signature.value
    return final_digest(
        note_id, frozen.note_version, recomputed, [s.signature.value for s in signed]
    )


def verify_note(
    events: Sequence[Envelope], public_keys: Mapping[str, bytes] | None = None
) -> Verdict:
    """Check every signature of a note (and of its void, if any) from events alone."""
    verdict = Verdict()
    keys = Keys.of(events, public_keys or {})
    completions = [c for _, c in payloads(events, NoteCompleted)]
    signed = [s for _, s in payloads(events, PartySigned)]
    if not completions and not signed:
        verdict.problems.append("nobody has signed the note")
        return verdict
    verdict.completed = bool(completions)
    version = completions[-1].note_version if completions else signed[-1].note_version
    frozen = [f for _, f in payloads(events, NoteFrozenForSigning) if f.note_version == version]
    if not frozen:
        verdict.problems.append(f"the frozen document of version {version} is missing")
        return verdict
    this_version = [s for s in signed if s.note_version == version]
    final = _verify_signatures(frozen[-1], this_version, keys, verdict)
    if not completions:
        return verdict
    completed = completions[-1]
    if list(completed.signers) != verdict.signers:
        verdict.problems.append("the completion names other signers than those who signed")
    if (
        final != completed.final_digest
        or completed.document_digest != digest(frozen[-1].document).hex()
    ):
        verdict.problems.append(
            "the completion's final digest does not match the document and signatures"
        )
    note_id = uuid.UUID(str(frozen[-1].document.get("note_id")))
    verify_voids(note_id, events, completed.final_digest, keys, verdict)
    return verdict
