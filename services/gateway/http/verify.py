"""The public verifier: anyone may check a pack or a receipt against the log's published keys.

It runs the evidence service's offline verifier (`services.evidence.verify`, pure functions,
with the signing service's signature checks when available): the same code a party runs on
their own machine with the pack and the log's public keys, here pinned to the keys the log
publishes rather than those the file carries.
"""

from __future__ import annotations

from typing import Any

from services.evidence.domain.pack import PACK_FORMAT
from services.evidence.verify import verify_document


def verdict_of(document: dict[str, Any], log_keys: list[str]) -> dict[str, Any]:
    kind = "pack" if document.get("format") == PACK_FORMAT else "receipt"
    if not log_keys:
        return _failed(kind, "the log has published no key yet")
    try:
        verdict = verify_document(document, pinned=log_keys)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as error:
        return _failed(kind, f"malformed {kind}: {type(error).__name__}")
    checks = [{"name": n, "ok": ok, "detail": d} for n, ok, d in verdict.checks]
    return {"ok": verdict.ok, "kind": kind, "checks": checks}


def _failed(kind: str, detail: str) -> dict[str, Any]:
    return {"ok": False, "kind": kind, "checks": [{"name": kind, "ok": False, "detail": detail}]}
