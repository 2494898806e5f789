"""The evidence pack of one note: its events' receipts, the parties' keys, one checkpoint.

Parties' signatures follow one convention the signing service publishes into: a key is an event
of type `SigningKeyPublished` whose payload has `key_id` and `public_key` (base64 of a raw Ed25519
key); a signature is any event whose payload has `key_id`, `signature` (base64) and
`signed_digest` (hex of the bytes that were signed). Both are proven by their own receipts.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.evidence.domain.note import Verifier
from services.evidence.domain.receipt import ReceiptError, VerifiedReceipt, verify_receipt

PACK_FORMAT = "jietiao-evidence-pack/v1"
KEY_EVENT = "SigningKeyPublished"


@dataclass
class Verdict:
    """Each check a verifier ran, in order, with whether it held."""

    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, ok, detail))

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)


def make_pack(
    note_id: str, receipts: list[dict[str, Any]], checkpoint_note: str, log_keys: list[str]
) -> dict[str, Any]:
    return {
        "format": PACK_FORMAT,
        "note_id": note_id,
        "checkpoint": checkpoint_note,
        "log_keys": log_keys,
        "receipts": receipts,
    }


def _belongs_to(event: Mapping[str, Any], note_id: str) -> bool:
    payload = event.get("payload")
    return event.get("stream_id") == note_id or (
        isinstance(payload, dict) and payload.get("note_id") == note_id
    )


def _party_keys(receipts: Iterable[VerifiedReceipt]) -> dict[str, Verifier]:
    keys = {}
    for r in receipts:
        payload = r.event.get("payload", {})
        if r.event.get("event_type") == KEY_EVENT and isinstance(payload, dict):
            raw = base64.b64decode(str(payload.get("public_key", "")), validate=True)
            keys[str(payload.get("key_id"))] = Verifier(str(payload.get("key_id")), raw)
    return keys


def _check_signatures(verified: list[VerifiedReceipt], verdict: Verdict) -> None:
    try:
        keys = _party_keys(verified)
    except (binascii.Error, ValueError) as error:
        verdict.add("party keys", False, f"a published key is malformed: {error}")
        return
    for r in verified:
        payload = r.event.get("payload", {})
        if not isinstance(payload, dict) or "signature" not in payload:
            continue
        key = keys.get(str(payload.get("key_id")))
        label = f"signature in {r.entry.event_type} v{r.entry.version}"
        try:
            message = bytes.fromhex(str(payload["signed_digest"]))
            signature = base64.b64decode(str(payload["signature"]), validate=True)
        except (KeyError, ValueError, binascii.Error):
            verdict.add(label, False, "malformed signature fields")
            continue
        if key is None:
            verdict.add(label, False, f"key {payload.get('key_id')} is not in the pack")
        else:
            verdict.add(label, key.verify(message, signature), f"key {key.name}")


def _check_note_stream(note_id: str, verified: list[VerifiedReceipt], verdict: Verdict) -> None:
    versions = sorted(r.entry.version for r in verified if r.entry.stream_id == note_id)
    complete = versions == list(range(1, len(versions) + 1))
    verdict.add("note history complete", complete, f"versions {versions[:1]}..{versions[-1:]}")


def verify_pack(pack: Mapping[str, Any], keys: list[Verifier]) -> Verdict:
    verdict = Verdict()
    if pack.get("format") != PACK_FORMAT:
        verdict.add("format", False, "not a jietiao evidence pack")
        return verdict
    note_id, checkpoint = str(pack.get("note_id")), pack.get("checkpoint")
    verified: list[VerifiedReceipt] = []
    for i, receipt in enumerate(pack.get("receipts", [])):
        try:
            r = verify_receipt(receipt, keys)
        except ReceiptError as error:
            verdict.add(f"receipt {i}", False, str(error))
            continue
        ours = _belongs_to(r.event, note_id) or r.event.get("event_type") == KEY_EVENT
        same = r.checkpoint_note == checkpoint
        detail = f"{r.entry.event_type} v{r.entry.version} at leaf {r.index}"
        verdict.add(
            f"receipt {i}",
            ours and same,
            detail
            if ours and same
            else f"{detail}: {'other checkpoint' if not same else 'not of this note'}",
        )
        verified.append(r)
    if not verified:
        verdict.add("events", False, "the pack proves no event")
        return verdict
    _check_note_stream(note_id, verified, verdict)
    _check_signatures(verified, verdict)
    return verdict
