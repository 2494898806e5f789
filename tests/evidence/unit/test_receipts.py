"""Receipts and packs verified offline, and every way of lying with one refused."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import uuid
from typing import Any

import pytest

from services.evidence.domain.batch import Incoming, append_batch
from services.evidence.domain.checkpoint import Checkpoint
from services.evidence.domain.compact import CompactRange
from services.evidence.domain.leaf import CHAIN_START, LeafEntry, commitment, decode_entry
from services.evidence.domain.note import Signer, sign_note
from services.evidence.domain.pack import make_pack, verify_pack
from services.evidence.domain.receipt import ReceiptError, make_receipt, verify_receipt
from services.evidence.domain.tlog_proof import TlogProof, parse_tlog_proof
from services.evidence.domain.tree import MemoryTree
from shared.events import canonical_bytes

ORIGIN = "example.com/evidence"
LOG = Signer(ORIGIN, bytes(range(32)))
NOTE_ID = str(uuid.uuid4())


def event(version: int, stream_id: str = NOTE_ID, **payload: Any) -> Incoming:
    doc = {
        "event_id": str(uuid.uuid4()),
        "event_type": "IouSigned",
        "stream_id": stream_id,
        "version": version,
        "payload": payload or {"amount": "100.00"},
    }
    return Incoming(
        "drafting", doc["event_id"], "IouSigned", stream_id, version, None, canonical_bytes(doc)
    )


def build(events: list[Incoming]) -> tuple[list[dict[str, Any]], str]:
    batch = append_batch(
        CompactRange(),
        CHAIN_START,
        ORIGIN,
        "2026-11-28T10:00:00.123456Z",
        [(e, os.urandom(32)) for e in events],
    )
    tree = MemoryTree(leaf.leaf_hash for leaf in batch.leaves)
    note = sign_note(Checkpoint(ORIGIN, tree.size, tree.root()).body(), [LOG])
    receipts = [
        make_receipt(
            source="drafting",
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
    return receipts, note


RECEIPTS, NOTE = build([event(v) for v in range(1, 8)] + [event(1, str(uuid.uuid4()))])


def test_the_leaf_entry_is_the_shared_canonical_encoding() -> None:
    entry = decode_entry(parse_tlog_proof(RECEIPTS[0]["tlog_proof"]).extra or b"")
    assert entry.encode() == canonical_bytes(json.loads(entry.encode()))
    with pytest.raises(ValueError, match="printable ASCII"):
        LeafEntry(ORIGIN, "drafting", "a b", "T", "s", 1, "t", bytes(32))


def test_every_receipt_verifies_and_survives_a_text_round_trip() -> None:
    for i, receipt in enumerate(RECEIPTS):
        verified = verify_receipt(receipt, [LOG.verifier])
        assert verified.index == i
        proof = parse_tlog_proof(receipt["tlog_proof"])
        assert proof.text() == receipt["tlog_proof"]


def mangle(receipt: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(receipt)
    changed.update(changes)
    return changed


def proof_with(receipt: dict[str, Any], **fields: Any) -> dict[str, Any]:
    proof = parse_tlog_proof(receipt["tlog_proof"])
    values = {
        "index": proof.index,
        "path": proof.path,
        "checkpoint_note": proof.checkpoint_note,
        "extra": proof.extra,
        **fields,
    }
    return mangle(receipt, tlog_proof=TlogProof(**values).text())


def lies() -> dict[str, dict[str, Any]]:
    good = RECEIPTS[3]
    proof = parse_tlog_proof(good["tlog_proof"])
    event_doc = json.loads(good["event_json"])
    other_key = Signer(ORIGIN, bytes(32))
    entry = decode_entry(proof.extra or b"")
    lies = {
        "other salt": mangle(good, salt=base64.b64encode(os.urandom(32)).decode()),
        "changed event": mangle(
            good,
            event_json=canonical_bytes({**event_doc, "payload": {"amount": "1000.00"}}).decode(),
        ),
        "event of another leaf": mangle(good, event_json=RECEIPTS[4]["event_json"]),
        "index + 1": proof_with(good, index=proof.index + 1),
        "flipped path bit": proof_with(
            good, path=[bytes([proof.path[0][0] ^ 1]) + proof.path[0][1:], *proof.path[1:]]
        ),
        "truncated path": proof_with(good, path=proof.path[:-1]),
        "extended path": proof_with(good, path=[*proof.path, proof.path[-1]]),
        "checkpoint of another key": proof_with(
            good,
            checkpoint_note=sign_note(
                Checkpoint(ORIGIN, 8, MemoryTree().root()).body(), [other_key]
            ),
        ),
        "entry of another log": proof_with(
            good,
            extra=LeafEntry(
                "other.example/log",
                entry.source,
                entry.event_id,
                entry.event_type,
                entry.stream_id,
                entry.version,
                entry.received_at,
                entry.commitment,
            ).encode(),
        ),
    }
    return lies


LIES = lies()


@pytest.mark.parametrize("lie", sorted(LIES))
def test_lies_are_refused(lie: str) -> None:
    with pytest.raises(ReceiptError):
        verify_receipt(LIES[lie], [LOG.verifier])


def test_a_proof_for_size_n_is_refused_at_n_plus_1_with_the_root_of_n() -> None:
    # The size is read from the signed checkpoint only; writing n + 1 into it breaks the signature,
    # and re-signing it needs the log's key.
    good = RECEIPTS[6]
    proof = parse_tlog_proof(good["tlog_proof"])
    body = proof.checkpoint_note.split("\n\n")[0] + "\n"
    origin, size, root, _ = body.split("\n")
    forged_body = f"{origin}\n{int(size) + 1}\n{root}\n"
    forged_note = forged_body + proof.checkpoint_note[len(body) :]
    with pytest.raises(ReceiptError):
        verify_receipt(proof_with(good, checkpoint_note=forged_note), [LOG.verifier])
    with pytest.raises(ReceiptError):
        verify_receipt(good, [Signer(ORIGIN, bytes(32)).verifier])  # only trusted keys count


def test_a_pack_verifies_and_omissions_and_strangers_are_caught() -> None:
    note_receipts = RECEIPTS[:7]
    pack = make_pack(NOTE_ID, note_receipts, NOTE, [LOG.verifier.vkey()])
    assert verify_pack(pack, [LOG.verifier]).ok
    assert not verify_pack(
        {**pack, "receipts": note_receipts[:3] + note_receipts[4:]}, [LOG.verifier]
    ).ok
    assert not verify_pack({**pack, "receipts": RECEIPTS}, [LOG.verifier]).ok  # a stranger's event
    assert not verify_pack(pack, [Signer(ORIGIN, bytes(32)).verifier]).ok


def test_parties_signatures_are_always_checked_over_the_events_the_pack_proved() -> None:
    pack = make_pack(NOTE_ID, RECEIPTS[:7], NOTE, [LOG.verifier.vkey()])
    checked = verify_pack(pack, [LOG.verifier])
    assert checked.ok
    assert ("parties' signatures", True, "the note carries no signature yet") in checked.checks
    assert not any("NOT CHECKED" in detail for _, _, detail in checked.checks)
    seen: list[list[dict[str, Any]]] = []

    def refuses(events: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
        seen.append(events)
        return [("parties' signatures", False, "party 1 does not verify")]

    assert not verify_pack(pack, [LOG.verifier], refuses).ok
    assert [e["event_id"] for e in seen[0]] == [
        json.loads(r["event_json"])["event_id"] for r in RECEIPTS[:7]
    ]


def _mutations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every place in a document, each with values of the wrong shape."""
    found: list[tuple[tuple[Any, ...], Any]] = [
        (path, wrong) for wrong in (None, 7, "x", [], {}) if wrong != value
    ]
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, child in children:
        found += _mutations(child, (*path, key))
    return found


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def test_a_misshapen_pack_or_receipt_fails_cleanly_and_never_verifies() -> None:
    from services.evidence.verify import verify_document

    pack = make_pack(NOTE_ID, RECEIPTS[:2], NOTE, [LOG.verifier.vkey()])
    for document in (pack, RECEIPTS[0]):
        for path, wrong in _mutations(document):
            mangled = _set(document, path, wrong)
            if not isinstance(mangled, dict) or (path[:1] == ("receipts",) and "log_keys" in path):
                continue  # a pack's own keys stand for its receipts' copies
            assert not verify_document(mangled).ok, path  # the keys the file carries
            if "log_keys" not in path:  # pinned keys make the carried ones irrelevant
                assert not verify_document(mangled, [LOG.verifier.vkey()]).ok, path


def test_a_leaf_does_not_give_away_a_low_entropy_event() -> None:
    # Everything about the event is guessable but the amount (0.01 to 100.00 yuan): hashing every
    # candidate finds it from a bare hash, never from the salted commitment in the public leaf.
    receipt = RECEIPTS[0]
    entry = decode_entry(parse_tlog_proof(receipt["tlog_proof"]).extra or b"")
    event = json.loads(receipt["event_json"])

    def candidate(fen: int) -> bytes:
        amount = f"{fen // 100}.{fen % 100:02d}"
        return canonical_bytes({**event, "payload": {"amount": amount}})

    candidates = [candidate(fen) for fen in range(1, 10_001)]
    bare = {hashlib.sha256(c).digest() for c in candidates}
    assert hashlib.sha256(receipt["event_json"].encode()).digest() in bare
    assert entry.commitment not in bare
    salt = base64.b64decode(receipt["salt"])
    assert sum(commitment(salt, c) == entry.commitment for c in candidates) == 1
