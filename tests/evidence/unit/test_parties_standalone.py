"""The verifier checks the parties' signatures of a real pack in a process where the project's
other code (pydantic, rfc8785, `shared`, the signing service) cannot even be imported."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path

from services.evidence.domain.pack import PACK_FORMAT
from shared.catalogue.signing import PartySigned
from shared.events import Envelope
from tests.evidence.unit.test_party_signatures import LOG, pack_of
from tests.signing.support import completed_iou, envelope

# Refuses every import outside the standard library, `cryptography` and the evidence verifier,
# then runs the command-line verifier and reports what it loaded.
PROBE = """
import importlib.abc, json, sys
ALLOWED = ("cryptography", "_cffi_backend", "services.evidence.verify", "services.evidence.domain")
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or name in ("services", "services.evidence"):
            return None
        if any(name == a or name.startswith(a + ".") for a in ALLOWED):
            return None
        raise ImportError("the standalone verifier may not import " + name)
sys.meta_path.insert(0, Refuse())
before = set(sys.modules)
from services.evidence.verify import main
code = main([sys.argv[1], "--key", sys.argv[2]])
print(json.dumps({"code": code, "loaded": sorted(set(sys.modules) - before)}))
"""


def run_alone(pack: dict[str, object], tmp_path: Path) -> tuple[int, str, list[str]]:
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), LOG.verifier.vkey()],
        capture_output=True,
        text=True,
        check=True,
    )
    *verdict, last = done.stdout.strip().splitlines()
    report = json.loads(last)
    return report["code"], "\n".join(verdict), report["loaded"]


def completed() -> tuple[uuid.UUID, list[Envelope]]:
    """A completed IOU with drafting's history of it as long as the pack shows (one event)."""
    note, stream, initiator, counterparty = completed_iou()
    keys = [envelope(s.party_id, 1, s.published()) for s in (initiator, counterparty)]
    return note.note_id, [*keys, envelope(note.note_id, 1, note.frozen()), *stream.events]


def test_a_completed_iou_pack_verifies_with_its_parties_signatures_alone(tmp_path: Path) -> None:
    note_id, events = completed()
    pack = pack_of(note_id, events)
    assert pack["format"] == PACK_FORMAT
    code, verdict, loaded = run_alone(pack, tmp_path)
    assert code == 0, verdict
    assert "OK   parties' signatures: 2 party signature(s) verify" in verdict
    assert "NOT CHECKED" not in verdict
    assert not [m for m in loaded if m.split(".")[0] in ("pydantic", "rfc8785", "shared")]
    assert "services.evidence.domain.parties" in loaded


def test_a_forged_party_signature_fails_the_standalone_verifier(tmp_path: Path) -> None:
    note_id, events = completed()
    i = next(i for i, e in enumerate(events) if isinstance(e.payload, PartySigned))
    signed = events[i].payload
    assert isinstance(signed, PartySigned)
    raw = bytearray(base64.b64decode(signed.signature.value))
    raw[10] ^= 0x80
    value = base64.b64encode(bytes(raw)).decode()
    forged = signed.model_copy(
        update={"signature": signed.signature.model_copy(update={"value": value})}
    )
    events[i] = events[i].model_copy(update={"payload": forged})
    code, verdict, _ = run_alone(pack_of(note_id, events), tmp_path)
    assert code == 1
    [line] = [line for line in verdict.splitlines() if "parties' signatures" in line]
    assert line.startswith("FAIL parties' signatures: ")
    assert f"signature of party {signed.party_id} does not verify" in line
