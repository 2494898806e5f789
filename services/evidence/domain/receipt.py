"""Checking a receipt offline: the checkpoint's signature, the entry, the salted commitment to the
event, and the inclusion of the entry's leaf in the checkpointed tree."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.evidence.domain.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from services.evidence.domain.leaf import LeafEntry, decode_entry
from services.evidence.domain.merkle import verify_inclusion
from services.evidence.domain.note import NoteError, Verifier, open_note, parse_vkey
from services.evidence.domain.tlog_proof import TlogProof, parse_tlog_proof

RECEIPT_FORMAT = "jietiao-evidence-receipt/v1"


class ReceiptError(ValueError):
    """A receipt that does not prove what it claims."""


@dataclass(frozen=True)
class VerifiedReceipt:
    entry: LeafEntry
    event: dict[str, Any]
    index: int
    checkpoint: Checkpoint
    checkpoint_note: str
    signed_by: list[str] = field(default_factory=list)


def verified_checkpoint(note: str, keys: Iterable[Verifier]) -> tuple[Checkpoint, list[str]]:
    """The (size, root) pair a verifier may use: only ever out of a note a trusted key signed."""
    try:
        text, signers = open_note(note, keys)
        checkpoint = parse_checkpoint(text)
    except (NoteError, CheckpointError) as error:
        raise ReceiptError(f"checkpoint refused: {error}") from error
    return checkpoint, [v.vkey() for v in signers]


def carried_keys(receipt: Mapping[str, Any]) -> list[Verifier]:
    try:
        return [parse_vkey(str(k)) for k in receipt.get("log_keys", [])]
    except (NoteError, TypeError) as error:
        raise ReceiptError(f"bad log key: {error}") from error


def _event_matches(event: Mapping[str, Any], entry: LeafEntry) -> bool:
    return (
        event.get("event_id") == entry.event_id
        and event.get("event_type") == entry.event_type
        and event.get("stream_id") == entry.stream_id
        and event.get("version") == entry.version
    )


def verify_receipt(receipt: Mapping[str, Any], keys: Iterable[Verifier]) -> VerifiedReceipt:
    """Everything a receipt claims, checked; raises `ReceiptError` naming the first failure."""
    if not isinstance(receipt, Mapping) or receipt.get("format") != RECEIPT_FORMAT:
        raise ReceiptError("not a jietiao evidence receipt")
    try:
        proof = parse_tlog_proof(str(receipt["tlog_proof"]))
        entry = decode_entry(proof.extra or b"")
        salt = base64.b64decode(str(receipt["salt"]), validate=True)
        event_bytes = str(receipt["event_json"]).encode()
        event = json.loads(event_bytes)
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise ReceiptError(f"malformed receipt: {error!r}") from error
    if receipt.get("source", entry.source) != entry.source:
        raise ReceiptError("the receipt names another source than the log entry")
    checkpoint, signed_by = verified_checkpoint(proof.checkpoint_note, keys)
    if checkpoint.origin != entry.origin:
        raise ReceiptError("the entry names another log than the checkpoint")
    if hashlib.sha256(salt + event_bytes).digest() != entry.commitment:
        raise ReceiptError("the event and salt do not match the logged commitment")
    if not isinstance(event, dict) or not _event_matches(event, entry):
        raise ReceiptError("the event's id, type, stream or version differ from the log entry")
    if not verify_inclusion(
        proof.index, checkpoint.size, entry.leaf_hash(), proof.path, checkpoint.root
    ):
        raise ReceiptError("the inclusion proof does not lead to the checkpoint's root")
    return VerifiedReceipt(entry, event, proof.index, checkpoint, proof.checkpoint_note, signed_by)


def make_receipt(
    *,
    source: str,
    event_bytes: bytes,
    salt: bytes,
    entry: bytes,
    index: int,
    path: list[bytes],
    checkpoint_note: str,
    log_keys: list[str],
) -> dict[str, Any]:
    """A receipt: the event, its salt, and a tlog-proof whose extra line is the log entry."""
    proof = TlogProof(index, path, checkpoint_note, extra=entry)
    return {
        "format": RECEIPT_FORMAT,
        "source": source,
        "event_json": event_bytes.decode(),
        "salt": base64.b64encode(salt).decode(),
        "tlog_proof": proof.text(),
        "log_keys": log_keys,
    }
