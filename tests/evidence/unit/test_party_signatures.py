"""A pack of a completed IOU: the parties' Ed25519 signatures checked from the pack alone, by the
signing service's verifier, over events the log proved."""

from __future__ import annotations

import os
import uuid

from services.evidence.domain.batch import Incoming, append_batch
from services.evidence.domain.checkpoint import Checkpoint
from services.evidence.domain.compact import CompactRange
from services.evidence.domain.leaf import CHAIN_START
from services.evidence.domain.note import Signer, sign_note
from services.evidence.domain.pack import make_pack
from services.evidence.domain.receipt import make_receipt
from services.evidence.domain.tree import MemoryTree
from services.evidence.verify import verify_document
from shared.catalogue.signing import PartySigned
from shared.events import Envelope
from tests.signing.support import completed_iou, envelope

ORIGIN = "example.com/evidence"
LOG = Signer(ORIGIN, bytes(range(32)))


def source_of(event: Envelope) -> str:
    return type(event.payload).__module__.rsplit(".", 1)[-1]


def pack_of(note_id: uuid.UUID, events: list[Envelope]) -> dict[str, object]:
    incoming = [
        Incoming(
            source_of(e),
            str(e.event_id),
            e.event_type,
            str(e.stream_id),
            e.version,
            None,
            e.canonical_bytes(),
        )
        for e in events
    ]
    batch = append_batch(
        CompactRange(),
        CHAIN_START,
        ORIGIN,
        "2026-11-28T10:00:00Z",
        [(e, os.urandom(32)) for e in incoming],
    )
    tree = MemoryTree(leaf.leaf_hash for leaf in batch.leaves)
    note = sign_note(Checkpoint(ORIGIN, tree.size, tree.root()).body(), [LOG])
    receipts = [
        make_receipt(
            source=leaf.event.source,
            event_bytes=leaf.event.event_bytes,
            salt=leaf.salt,
            entry=leaf.entry,
            index=leaf.index,
            path=tree.inclusion_proof(leaf.index, tree.size),
            checkpoint_note=note,
            log_keys=[LOG.verifier.vkey()],
        )
        for leaf in batch.leaves
    ]
    return make_pack(str(note_id), receipts, note, [LOG.verifier.vkey()])


def parties_check(pack: dict[str, object]) -> tuple[bool, str]:
    verdict = verify_document(pack, [LOG.verifier.vkey()])
    [(ok, detail)] = [(ok, d) for name, ok, d in verdict.checks if name == "parties' signatures"]
    return ok, detail


def completed() -> tuple[uuid.UUID, list[Envelope]]:
    note, stream, initiator, counterparty = completed_iou()
    keys = [envelope(s.party_id, 1, s.published()) for s in (initiator, counterparty)]
    return note.note_id, [*keys, envelope(note.note_id, 7, note.frozen()), *stream.events]


def test_the_parties_signatures_of_a_completed_iou_verify_from_the_pack() -> None:
    note_id, events = completed()
    assert parties_check(pack_of(note_id, events)) == (True, "2 party signature(s) verify")


def test_a_bad_party_signature_fails_even_though_the_log_proves_the_event() -> None:
    note_id, events = completed()
    i = next(i for i, e in enumerate(events) if isinstance(e.payload, PartySigned))
    signed = events[i].payload
    assert isinstance(signed, PartySigned)
    value = signed.signature.value
    forged = signed.model_copy(
        update={
            "signature": signed.signature.model_copy(
                update={"value": value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]}
            )
        }
    )
    events[i] = events[i].model_copy(update={"payload": forged})
    ok, detail = parties_check(pack_of(note_id, events))
    assert not ok
    assert "does not verify" in detail
