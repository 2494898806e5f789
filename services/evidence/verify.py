"""Offline verifier of evidence receipts and packs: the standard library and `cryptography` only.

    python -m services.evidence.verify FILE [--key VKEY ...]

FILE is a receipt or an evidence pack (JSON); for a pack, the parties' signatures are checked
too, from the pack's own events and the parties' keys it carries (`domain/parties.py`). The log's
keys are taken from `--key` when given (the safe way: keys obtained from the operator out of
band); otherwise from the file itself, which proves the file is internally consistent and signed
by the keys it names, and says so.
Exit status 0 when every check holds, 1 otherwise, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.evidence.domain.note import NoteError, Verifier, parse_vkey
from services.evidence.domain.pack import PACK_FORMAT, Verdict, verify_pack
from services.evidence.domain.receipt import RECEIPT_FORMAT, ReceiptError, verify_receipt


def _keys(document: dict[str, Any], pinned: Sequence[str], verdict: Verdict) -> list[Verifier]:
    if pinned:
        verdict.add("log keys", True, "pinned on the command line")
        return [parse_vkey(k) for k in pinned]
    listed = document.get("log_keys")
    carried = [parse_vkey(str(k)) for k in listed] if isinstance(listed, list) else []
    names = ", ".join(f"{v.name}+{v.key_id.hex()}" for v in carried)
    verdict.add("log keys", bool(carried), f"taken from the file, not pinned: {names}")
    return carried


def verify_document(document: dict[str, Any], pinned: Sequence[str] = ()) -> Verdict:
    verdict = Verdict()
    try:
        keys = _keys(document, pinned, verdict)
    except NoteError as error:
        verdict.add("log keys", False, str(error))
        return verdict
    kind = document.get("format")
    if kind == PACK_FORMAT:
        verdict.checks += verify_pack(document, keys).checks
    elif kind == RECEIPT_FORMAT:
        try:
            r = verify_receipt(document, keys)
        except ReceiptError as error:
            verdict.add("receipt", False, str(error))
        else:
            verdict.add(
                "receipt",
                True,
                f"{r.entry.event_type} v{r.entry.version} of stream {r.entry.stream_id} is leaf "
                f"{r.index} of {r.checkpoint.size} in {r.checkpoint.origin}, logged at "
                f"{r.entry.received_at}",
            )
    else:
        verdict.add("format", False, f"unknown format {kind!r}")
    return verdict


def render(verdict: Verdict) -> str:
    lines = [f"{'OK  ' if ok else 'FAIL'} {name}: {detail}" for name, ok, detail in verdict.checks]
    lines.append(
        "VERIFIED: every check holds." if verdict.ok else "NOT VERIFIED: see the failures above."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Jietiao evidence receipt or pack.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--key", action="append", default=[], help="trusted log key (vkey)")
    args = parser.parse_args(argv)
    try:
        document = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"cannot read {args.file}: {error}", file=sys.stderr)
        return 2
    if not isinstance(document, dict):
        print(f"{args.file} is not a receipt or a pack", file=sys.stderr)
        return 2
    verdict = verify_document(document, args.key)
    print(render(verdict))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
