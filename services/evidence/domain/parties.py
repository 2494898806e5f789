"""The parties' signatures of a note, checked from its events with the standard library and
`cryptography` only: the same checks as the signing service's `verify_note`, in the same order
with the same words, so that a party or a court needs none of our code but this.

Every signed message is rebuilt here (formats `jietiao.sign.v1` and `jietiao.void.v1`, see
`services/signing/domain/messages.py`): the document digest is recomputed from the frozen
document, each signer's message names the signature *before it in the stream* (not the one the
event claims), so a change to the terms, a handwriting hash, a signer or the order breaks a check.
The keys are the parties' `SigningKeyPublished` events, proven by the pack like every other event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.evidence.domain.jcs import NotCanonicalError, digest_hex
from services.evidence.domain.party_events import CannotCheckError, Completed, Frozen, Signed
from services.evidence.domain.party_keys import Keys, check_handwriting, check_signature
from services.evidence.domain.party_messages import final_digest, signing_message
from services.evidence.domain.party_reading import payloads
from services.evidence.domain.party_voids import verify_voids

NAME = "parties' signatures"
SIGNED_TYPES = frozenset({"PartySigned", "NoteCompleted", "VoidRequested", "VoidSigned"})
Event = Mapping[str, Any]


@dataclass
class Verdict:
    """As signing's: no problems means every signature present verifies."""

    problems: list[str] = field(default_factory=list)
    signers: list[str] = field(default_factory=list)
    completed: bool = False
    voided: bool = False

    @property
    def valid(self) -> bool:
        return not self.problems


def _text(document: Mapping[str, object], *path: str) -> str:
    node: object = document
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise CannotCheckError(f"the frozen document has no {'.'.join(path)}")
        node = node[key]
    return str(node)


def _signing_order(frozen: Frozen) -> tuple[list[str], dict[str, str]]:
    """Who must sign, in order, and each party's identity commitment (signing's `opened_from`)."""
    template = _text(frozen.document, "template", "kind")
    initiator_role = _text(frozen.document, "initiator", "role")
    _text(frozen.document, "counterparty", "role")
    initiator, counterparty = frozen.initiator_party_id, frozen.counterparty_party_id
    commitments = {
        initiator: _text(frozen.document, "initiator", "identity_commitment"),
        counterparty: frozen.counterparty_identity_commitment,
    }
    if template == "receipt":
        return [initiator if initiator_role == "payee" else counterparty], commitments
    return [initiator, counterparty], commitments


def _note_id(frozen: Frozen) -> str:
    try:
        return str(uuid.UUID(str(frozen.document.get("note_id"))))
    except ValueError as error:
        raise CannotCheckError("the frozen document names no note") from error


def _verify_signatures(frozen: Frozen, signed: list[Signed], keys: Keys, verdict: Verdict) -> str:
    """The final digest these signatures make, noting every problem found on the way."""
    note_id, recomputed = _note_id(frozen), digest_hex(frozen.document)
    order, commitments = _signing_order(frozen)
    expected = order if verdict.completed else order[: len(signed)]
    if [s.party_id for s in signed] != expected:
        verdict.problems.append("the signers or their order differ from the note's signing order")
    previous: str | None = None
    for sequence, s in enumerate(signed, start=1):
        claims = (s.note_id, s.document_digest, s.sequence, s.previous_signature)
        if claims != (note_id, recomputed, sequence, previous):
            verdict.problems.append(f"party {s.party_id} claims another note, digest or place")
        if commitments.get(s.party_id) != s.check.identity_commitment:
            verdict.problems.append(f"identity commitment of party {s.party_id} is not the note's")
        verdict.problems += check_handwriting(s.handwriting, s.party_id)
        message = signing_message(note_id, frozen.note_version, recomputed, s, previous)
        verdict.problems += check_signature(keys, s.party_id, s.signature, message)
        verdict.signers.append(s.party_id)
        previous = s.signature.value
    return final_digest(
        note_id, frozen.note_version, recomputed, [s.signature.value for s in signed]
    )


def _verify_completion(frozen: Frozen, completed: Completed, final: str, verdict: Verdict) -> None:
    if list(completed.signers) != verdict.signers:
        verdict.problems.append("the completion names other signers than those who signed")
    if final != completed.final_digest or completed.document_digest != digest_hex(frozen.document):
        verdict.problems.append(
            "the completion's final digest does not match the document and signatures"
        )


def verify_parties(events: Sequence[Event]) -> Verdict:
    """Every signature of a note (and of its void, if any) from its events alone; `CannotCheckError`
    when an event is not what signing writes or its bytes cannot be rebuilt exactly."""
    verdict = Verdict()
    keys = Keys.of(events)
    completions = payloads(events, "NoteCompleted", Completed)
    signed = payloads(events, "PartySigned", Signed)
    if not completions and not signed:
        verdict.problems.append("nobody has signed the note")
        return verdict
    verdict.completed = bool(completions)
    version = completions[-1].note_version if completions else signed[-1].note_version
    frozen = [
        f for f in payloads(events, "NoteFrozenForSigning", Frozen) if f.note_version == version
    ]
    if not frozen:
        verdict.problems.append(f"the frozen document of version {version} is missing")
        return verdict
    this_version = [s for s in signed if s.note_version == version]
    final = _verify_signatures(frozen[-1], this_version, keys, verdict)
    if not completions:
        return verdict
    _verify_completion(frozen[-1], completions[-1], final, verdict)
    verdict.voided = verify_voids(
        _note_id(frozen[-1]), events, completions[-1].final_digest, keys, verdict.problems
    )
    return verdict


def check_parties(events: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
    """The pack verifier's check of the parties' signatures over the events the log proved."""
    if not any(e.get("event_type") in SIGNED_TYPES for e in events):
        return [(NAME, True, "the note carries no signature yet")]
    try:
        verdict = verify_parties(events)
    except (CannotCheckError, NotCanonicalError) as error:
        return [(NAME, False, f"cannot check: {error}")]
    detail = "; ".join(verdict.problems) or (
        f"{len(verdict.signers)} party signature(s) verify"
        + (", note voided" if verdict.voided else "")
    )
    return [(NAME, verdict.valid, detail)]
