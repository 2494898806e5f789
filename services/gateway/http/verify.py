"""The public verifier: anyone may check a pack or a receipt against the log's published keys.

It runs the evidence service's own offline verification (pure functions, no I/O): the same
code a party would run on their own machine with the pack and the log's public keys.
"""

from __future__ import annotations

from typing import Any

from services.evidence.domain.note import NoteError, Verifier, parse_vkey
from services.evidence.domain.pack import PACK_FORMAT, verify_pack
from services.evidence.domain.receipt import ReceiptError, verify_receipt


def log_verifiers(vkeys: list[str]) -> list[Verifier]:
    found = []
    for vkey in vkeys:
        try:
            found.append(parse_vkey(vkey))
        except NoteError:
            continue
    return found


def verdict_of(document: dict[str, Any], keys: list[Verifier]) -> dict[str, Any]:
    if document.get("format") == PACK_FORMAT:
        try:
            verdict = verify_pack(document, keys)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            return _failed("pack", f"malformed pack: {type(error).__name__}")
        checks = [{"name": n, "ok": ok, "detail": d} for n, ok, d in verdict.checks]
        return {"ok": verdict.ok, "kind": "pack", "checks": checks}
    try:
        verified = verify_receipt(document, keys)
    except ReceiptError as error:
        return _failed("receipt", str(error))
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        return _failed("receipt", f"malformed receipt: {type(error).__name__}")
    detail = f"{verified.entry.event_type} v{verified.entry.version} at leaf {verified.index}"
    return {
        "ok": True,
        "kind": "receipt",
        "checks": [{"name": "receipt", "ok": True, "detail": detail}],
    }


def _failed(kind: str, detail: str) -> dict[str, Any]:
    return {"ok": False, "kind": kind, "checks": [{"name": kind, "ok": False, "detail": detail}]}
