"""The `jietiao` command."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Annotated

import typer

from shared.config import SERVICES, Settings
from shared.logging import configure_logging

app = typer.Typer(help="Jietiao: electronic IOUs with a tamper-evident evidence log.")


@app.command()
def serve(service: str = typer.Argument(..., help=f"One of: {', '.join(SERVICES)}")) -> None:
    """Run one service process until SIGTERM."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    from shared.runtime import serve as run

    run(service)


@app.command()
def bootstrap() -> None:
    """Apply every service's migrations and declare the JetStream streams (idempotent)."""
    from shared.bootstrap import prepare

    settings = Settings()
    configure_logging(settings)
    asyncio.run(prepare(settings))


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="An evidence receipt or evidence pack (JSON).")],
    key: Annotated[
        list[str] | None, typer.Option(help="Trusted log key (vkey); repeatable.")
    ] = None,
) -> None:
    """Verify a receipt or an evidence pack offline; exits non-zero unless every check holds."""
    from services.evidence.audit.console import verify_command

    raise typer.Exit(verify_command(file, key or []))


@app.command()
def audit(
    report: Annotated[Path, typer.Option(help="Where to write the JSON report.")] = Path(
        "audit-report.json"
    ),
    key: Annotated[
        list[str] | None, typer.Option(help="Trusted log key (vkey); default: configured keys.")
    ] = None,
    state: Annotated[Path | None, typer.Option(help="Monitor state: last checkpoint seen.")] = None,
    grace: Annotated[float, typer.Option(help="Seconds an event may wait to be logged.")] = 300.0,
    jetstream: Annotated[bool, typer.Option(help="Also compare the JetStream streams.")] = True,
) -> None:
    """Replay every event store and stream against the evidence log; non-zero on any finding."""
    from services.evidence.audit.console import audit_command

    raise typer.Exit(audit_command(report, key or [], state, grace, jetstream))


@app.command("evidence-pack")
def evidence_pack(
    note_id: Annotated[uuid.UUID, typer.Argument(help="The note whose evidence to fetch.")],
    out: Annotated[Path, typer.Option(help="Where to write the pack (JSON).")] = Path(
        "evidence-pack.json"
    ),
) -> None:
    """Fetch a note's evidence pack from the running evidence service."""
    from services.evidence.fetch import evidence_pack_command

    raise typer.Exit(evidence_pack_command(note_id, out))


@app.command()
def asyncapi(
    out: Annotated[Path, typer.Option(help="Folder of the documents.")] = Path("docs/asyncapi"),
    check: Annotated[
        bool, typer.Option(help="Write nothing; exit 1 if a document there is stale.")
    ] = False,
) -> None:
    """Write the AsyncAPI document of every service's bus (`<out>/<service>.json`)."""
    from shared.runtime import asyncapi_document

    stale = []
    for service in SERVICES:
        text = json.dumps(asyncapi_document(service), indent=2, sort_keys=True, ensure_ascii=False)
        path = out / f"{service}.json"
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text + "\n":
                stale.append(str(path))
            continue
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    if stale:
        typer.echo("stale, run `jietiao asyncapi`: " + ", ".join(stale), err=True)
        raise typer.Exit(1)


def _register_up() -> None:
    from shared.stack.command import up

    app.command("up")(up)


_register_up()

if __name__ == "__main__":
    app()
