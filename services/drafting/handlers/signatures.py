"""Signing's answers to a frozen note: `PartySigned` locks it, `SignatureDeclined` ends it."""

from __future__ import annotations

from services.drafting.domain import freezing
from services.drafting.handlers.base import DraftingBase, log
from services.drafting.store import envelopes, read_note
from shared.catalogue.signing import PartySigned, SignatureDeclined
from shared.events import Envelope
from shared.store import Transaction

SIGNING_OUTCOMES = frozenset({"PartySigned", "SignatureDeclined"})


class SignatureConsumer(DraftingBase):
    async def on_signing_outcome(self, envelope: Envelope, tx: Transaction) -> None:
        """Consumer of signing's events: lock the note's terms, or end the note."""
        outcome = envelope.payload
        assert isinstance(outcome, PartySigned | SignatureDeclined)
        # Signing keeps each note in a stream of the note's own id.
        note = await read_note(tx.conn, tx.schema, envelope.stream_id)
        if note is None:
            log.info("signing outcome for an unknown note", event_type=envelope.event_type)
            return
        answer = freezing.Signature(
            outcome.note_version, outcome.party_id, outcome.document_digest, envelope.event_id
        )
        decide = (
            freezing.lock_on_signature
            if isinstance(outcome, PartySigned)
            else freezing.end_on_decline
        )
        events = decide(note, answer)
        if not events:
            log.info("signing outcome changes nothing", note_version=outcome.note_version)
            return
        await tx.append(
            envelopes(
                note.note_id,
                note.stream_version,
                events,
                envelope.correlation_id,
                "drafting",
                envelope.event_id,
            )
        )
