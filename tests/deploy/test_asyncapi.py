"""The committed AsyncAPI documents (docs/asyncapi) are what `jietiao asyncapi` writes now."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from shared.cli import app
from shared.config import SERVICES
from shared.runtime import asyncapi_document

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"


def test_the_committed_documents_are_current(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["asyncapi", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for service in SERVICES:
        fresh = (tmp_path / f"{service}.json").read_text(encoding="utf-8")
        committed = (DOCS / f"{service}.json").read_text(encoding="utf-8")
        assert committed == fresh, f"docs/asyncapi/{service}.json is stale: run `jietiao asyncapi`"


def test_check_fails_on_a_stale_document(tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["asyncapi", "--out", str(tmp_path)]).exit_code == 0
    assert CliRunner().invoke(app, ["asyncapi", "--out", str(tmp_path), "--check"]).exit_code == 0
    edited = json.loads((tmp_path / "signing.json").read_text())
    edited["info"]["version"] = "0.0.1"
    (tmp_path / "signing.json").write_text(json.dumps(edited))
    stale = CliRunner().invoke(app, ["asyncapi", "--out", str(tmp_path), "--check"])
    assert stale.exit_code == 1


def test_a_document_names_what_the_service_publishes_and_consumes() -> None:
    signing = asyncapi_document("signing")
    assert signing["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in signing["channels"].values()}
    assert "jietiao.signing.note.*.NoteCompleted" in addresses  # an event it publishes
    assert "jietiao.drafting.>" in addresses  # the stream it consumes
    assert "jietiao.cmd.signing.sign" in addresses  # a command it answers
    completed = next(
        m for name, m in signing["components"]["schemas"].items() if "NoteCompleted" in name
    )
    assert "final_digest" in json.dumps(completed)
