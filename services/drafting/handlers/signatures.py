"""Signing's `PartySigned` locks the terms of the frozen version it signs."""

from __future__ import annotations

from services.drafting.domain import freezing
from services.drafting.handlers.base import DraftingBase, log
from services.drafting.store import envelopes, read_note
from shared.catalogue.signing import PartySigned
from shared.events import Envelope
from shared.store import Transaction


class SignatureConsumer(DraftingBase):
    async def on_party_signed(self, envelope: Envelope, tx: Transaction) -> None:
        """Lock the note's terms on the first valid signature (consumer of signing's events)."""
        signed = envelope.payload
        assert isinstance(signed, PartySigned)
        note = await read_note(tx.conn, tx.schema, signed.note_id)
        signature = freezing.Signature(
            signed.note_version, signed.party_id, signed.document_digest, envelope.event_id
        )
        locked = freezing.lock_on_signature(note, signature) if note else []
        if not locked or note is None:
            log.info("signature does not lock a note", note_version=signed.note_version)
            return
        await tx.append(
            envelopes(
                note.note_id,
                note.stream_version,
                locked,
                envelope.correlation_id,
                "drafting",
                envelope.event_id,
            )
        )
