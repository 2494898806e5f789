"""The offline verifier runs on the standard library and `cryptography` alone."""

from __future__ import annotations

import json
import subprocess
import sys

ALLOWED_PROJECT_MODULES = ("services", "services.evidence", "services.evidence.verify")


def test_importing_the_verifier_loads_nothing_else() -> None:
    probe = (
        "import sys, json; before = set(sys.modules); import services.evidence.verify; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout
    )
    foreign = [
        name
        for name in loaded
        if name.split(".")[0] not in sys.stdlib_module_names
        and name.split(".")[0] not in ("cryptography", "_cffi_backend", "_openssl", "services")
    ]
    ours = [
        name
        for name in loaded
        if name.startswith("services")
        and name not in ALLOWED_PROJECT_MODULES
        and not name.startswith("services.evidence.domain")
    ]
    assert foreign == []
    assert ours == []
    for name in loaded:
        if name.startswith("services.evidence.domain."):
            assert name.rsplit(".", 1)[1] in {
                "merkle",
                "checkpoint",
                "leaf",
                "note",
                "pack",
                "receipt",
                "tlog_proof",
                "proofs",
                "jcs",
                "parties",
                "party_events",
                "party_keys",
                "party_messages",
                "party_voids",
                "party_reading",
            }, name
