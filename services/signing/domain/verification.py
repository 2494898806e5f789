"""Offline verification of a signed (and perhaps voided) note from its published events alone.

Inputs: the note's events from drafting (for the frozen document) and from signing, plus the
parties' `SigningKeyPublished` events (or their keys). Nothing of ours is trusted: the document
digest is recomputed from the document, each signature message is rebuilt with the signature
*before it in the stream* (not the one the event claims), so a change to the terms, to a
handwriting hash, to a signer or to the order makes some check fail.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from cryptography.exceptions import InvalidSignature

from services.signing.domain.drafting_facts import opened_from
from services.signing.domain.handwriting import handwriting_digest
from services.signing.domain.keys import public_key, unb64
from services.signing.domain.messages import (
    SignerFacts,
    VoidFacts,
    final_digest,
    signing_message,
    void_message,
)
from shared.catalogue.drafting import NoteFrozenForSigning
from shared.catalogue.signing import (
    DigitalSignature,
    HandwritingRef,
    NoteCompleted,
    NoteVoided,
    PartySigned,
    SigningKeyPublished,
    VoidRequested,
    VoidSigned,
)
from shared.events import Envelope, digest

T = TypeVar("T")


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)
    signers: list[uuid.UUID] = field(default_factory=list)
    voided: bool = False

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Keys:
    public: dict[str, bytes]
    owner: dict[str, uuid.UUID]


def _keys(events: Sequence[Envelope], extra: Mapping[str, bytes]) -> _Keys:
    published = [e.payload for e in events if isinstance(e.payload, SigningKeyPublished)]
    return _Keys(
        {**extra, **{k.key_id: unb64(k.public_key) for k in published}},
        {k.key_id: k.party_id for k in published},
    )


def _check_signature(
    keys: _Keys, party_id: uuid.UUID, signature: DigitalSignature, message: bytes, verdict: Verdict
) -> None:
    key = keys.public.get(signature.key_id)
    owner = keys.owner.get(signature.key_id, party_id)
    if key is None or owner != party_id:
        verdict.problems.append(f"no published key {signature.key_id} of party {party_id}")
        return
    try:
        public_key(key).verify(unb64(signature.value), message)
    except (InvalidSignature, ValueError):
        verdict.problems.append(f"signature of party {party_id} does not verify")


def _check_handwriting(ref: HandwritingRef, party_id: uuid.UUID, verdict: Verdict) -> None:
    if handwriting_digest(ref.png_sha256, ref.strokes_sha256) != ref.digest:
        verdict.problems.append(f"handwriting digest of party {party_id} does not match its parts")


def _payloads(events: Sequence[Envelope], kind: type[T]) -> list[tuple[Envelope, T]]:
    return [(e, e.payload) for e in events if isinstance(e.payload, kind)]


def _verify_signatures(
    note_id: uuid.UUID,
    frozen: NoteFrozenForSigning,
    signed: list[PartySigned],
    keys: _Keys,
    verdict: Verdict,
) -> str:
    recomputed = digest(frozen.document).hex()
    opened = opened_from(frozen, uuid.UUID(int=0))
    commitments = {
        opened.initiator_party_id: opened.initiator_identity_commitment,
        opened.counterparty_party_id: opened.counterparty_identity_commitment,
    }
    if [s.party_id for s in signed] != list(opened.signers):
        verdict.problems.append("the signers or their order differ from the note's signing order")
    previous: str | None = None
    for s in signed:
        if s.document_digest != recomputed:
            verdict.problems.append(f"party {s.party_id} signed another document digest")
        if commitments.get(s.party_id) != s.check.identity_commitment:
            verdict.problems.append(f"identity commitment of party {s.party_id} is not the note's")
        _check_handwriting(s.handwriting, s.party_id, verdict)
        facts = SignerFacts(
            s.party_id, s.role, s.check.identity_commitment, s.handwriting.digest, previous
        )
        _check_signature(
            keys,
            s.party_id,
            s.signature,
            signing_message(note_id, frozen.note_version, recomputed, facts),
            verdict,
        )
        verdict.signers.append(s.party_id)
        previous = s.signature.value
    return final_digest(
        note_id, frozen.note_version, recomputed, [s.signature.value for s in signed]
    )


def _verify_voids(
    note_id: uuid.UUID, events: Sequence[Envelope], final: str, keys: _Keys, verdict: Verdict
) -> None:
    requests = {r.void_id: r for _, r in _payloads(events, VoidRequested)}
    countersigned: dict[uuid.UUID, VoidSigned] = {}
    for _, vs in _payloads(events, VoidSigned):
        request = requests.get(vs.void_id)
        if request is None or vs.party_id == request.requested_by:
            verdict.problems.append(f"void {vs.void_id} is not countersigned by the other party")
            continue
        countersigned[vs.void_id] = vs
    for request in requests.values():
        void = VoidFacts(note_id, request.void_id, final, request.reason_code, request.reason_text)
        chain: list[tuple[uuid.UUID, str, SignerFacts, DigitalSignature, HandwritingRef]] = []
        req = SignerFacts(
            request.requested_by,
            request.role,
            request.check.identity_commitment,
            request.handwriting.digest,
            None,
        )
        chain.append(
            (request.requested_by, request.role, req, request.signature, request.handwriting)
        )
        counter = countersigned.get(request.void_id)
        if counter is not None:
            facts = SignerFacts(
                counter.party_id,
                counter.role,
                counter.check.identity_commitment,
                counter.handwriting.digest,
                request.signature.value,
            )
            chain.append(
                (counter.party_id, counter.role, facts, counter.signature, counter.handwriting)
            )
        for party_id, _, facts, signature, handwriting in chain:
            _check_handwriting(handwriting, party_id, verdict)
            _check_signature(keys, party_id, signature, void_message(void, facts), verdict)
    for _, voided in _payloads(events, NoteVoided):
        if voided.void_id not in countersigned or voided.final_digest != final:
            verdict.problems.append(f"void {voided.void_id} lacks both parties' signatures")
        verdict.voided = True


def verify_note(
    events: Sequence[Envelope], public_keys: Mapping[str, bytes] | None = None
) -> Verdict:
    """Check every signature of a completed note (and of its void, if any) from events alone."""
    verdict = Verdict()
    keys = _keys(events, public_keys or {})
    completions = _payloads(events, NoteCompleted)
    if not completions:
        verdict.problems.append("the note was never completed")
        return verdict
    envelope, completed = completions[-1]
    frozen = [
        f
        for _, f in _payloads(events, NoteFrozenForSigning)
        if f.note_version == completed.note_version
    ]
    if not frozen:
        verdict.problems.append(
            f"the frozen document of version {completed.note_version} is missing"
        )
        return verdict
    signed = [
        s for _, s in _payloads(events, PartySigned) if s.note_version == completed.note_version
    ]
    final = _verify_signatures(envelope.stream_id, frozen[-1], signed, keys, verdict)
    if (
        final != completed.final_digest
        or completed.document_digest != digest(frozen[-1].document).hex()
    ):
        verdict.problems.append(
            "the completion's final digest does not match the document and signatures"
        )
    _verify_voids(envelope.stream_id, events, completed.final_digest, keys, verdict)
    return verdict
