"""The evidence pack of one note: its events' receipts, the parties' keys, one checkpoint.

The parties' signatures are checked over the events the pack proved, by `parties.check_parties`
(the standard library and `cryptography` only, in agreement with the signing service's own
verifier). The keys travel as `SigningKeyPublished` events, each proven by its own receipt like
every other event of the pack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.evidence.domain.note import Verifier
from services.evidence.domain.parties import check_parties
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


def _check_note_stream(note_id: str, verified: list[VerifiedReceipt], verdict: Verdict) -> None:
    """Each service's stream of the note, versions 1..n without a gap: nothing left out."""
    by_source: dict[str, list[int]] = {}
    for r in verified:
        if r.entry.stream_id == note_id:
            by_source.setdefault(r.entry.source, []).append(r.entry.version)
    for source, versions in sorted(by_source.items()):
        complete = sorted(versions) == list(range(1, len(versions) + 1))
        verdict.add(f"{source} history of the note", complete, f"versions 1..{max(versions)}")


PartyCheck = Callable[[list[dict[str, Any]]], list[tuple[str, bool, str]]]


def verify_pack(
    pack: Mapping[str, Any], keys: list[Verifier], party_check: PartyCheck = check_parties
) -> Verdict:
    verdict = Verdict()
    receipts = pack.get("receipts")
    if pack.get("format") != PACK_FORMAT or not isinstance(receipts, list):
        verdict.add("format", False, "not a jietiao evidence pack")
        return verdict
    note_id, checkpoint = str(pack.get("note_id")), pack.get("checkpoint")
    verified: list[VerifiedReceipt] = []
    for i, receipt in enumerate(receipts):
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
    verdict.checks += party_check([r.event for r in verified])
    return verdict
