"""`jietiao audit` and `jietiao verify` on a terminal: progress bar, summary table, exit status."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from services.evidence.audit.findings import AuditReport
from services.evidence.audit.runner import AuditOptions, audit_steps, run_audit
from services.evidence.domain.note import parse_vkey
from services.evidence.settings import EvidenceSettings
from shared.config import Settings

SHOWN_PER_KIND = 10


def summary_table(report: AuditReport) -> Table:
    table = Table(title="Replay audit")
    for column in ("service", "events", "anchored", "pending", "on JetStream", "state fold"):
        table.add_column(column, justify="left" if column == "service" else "right")
    for name, s in report.services.items():
        fold = "checked" if s.state_checked else "no hook"
        table.add_row(
            name, str(s.events), str(s.anchored), str(s.pending), str(s.on_jetstream), fold
        )
    table.caption = f"log: {report.leaves} leaves, {report.checkpoints} checkpoints"
    return table


def findings_table(report: AuditReport) -> Table:
    table = Table(title="Findings", style="red")
    for column in ("kind", "subject", "detail"):
        table.add_column(column)
    shown: dict[str, int] = {}
    for f in report.findings:
        shown[f.kind] = shown.get(f.kind, 0) + 1
        if shown[f.kind] <= SHOWN_PER_KIND:
            table.add_row(f.kind, f.subject, f.detail)
    for kind, count in report.counts().items():
        if count > SHOWN_PER_KIND:
            table.add_row(kind, f"... {count - SHOWN_PER_KIND} more", "see the JSON report")
    return table


def audit_command(
    report_path: Path, keys: list[str], state_path: Path | None, grace: float, jetstream: bool
) -> int:
    settings = Settings()
    verifiers = (
        [parse_vkey(k) for k in keys] if keys else EvidenceSettings().verifiers(settings.env)
    )
    options = AuditOptions(
        keys=verifiers, grace_seconds=grace, state_path=state_path, read_jetstream=jetstream
    )
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task("auditing", total=audit_steps(options))

        def step(what: str) -> None:
            bar.update(task, advance=1, description=what)

        report = asyncio.run(run_audit(settings, options, step))
    report_path.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    out = Console()
    out.print(summary_table(report))
    if report.ok:
        out.print("[green]No finding: every event is logged, unchanged, in order.[/green]")
    else:
        out.print(findings_table(report))
        out.print(f"[red]{len(report.findings)} finding(s): {report.counts()}[/red]")
    out.print(f"JSON report: {report_path}")
    return 0 if report.ok else 1


def verify_command(file: Path, keys: list[str]) -> int:
    from services.evidence import verify

    return verify.main([str(file), *[f"--key={k}" for k in keys]])
