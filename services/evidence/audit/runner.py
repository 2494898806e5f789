"""The replay audit: read everything, run every check, report every finding."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import importlib
import json
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from services.evidence.audit.findings import (
    LEAF_REMOVED,
    STATE_MISMATCH,
    AuditReport,
    Finding,
)
from services.evidence.audit.load import (
    published_checkpoints,
    read_log,
    read_service,
    schema_exists,
)
from services.evidence.audit.log_checks import (
    check_against_seen,
    check_checkpoints,
    check_inclusion,
    check_leaves,
    check_published_checkpoints,
    check_stored_nodes,
)
from services.evidence.audit.store_checks import ServiceData, check_service
from services.evidence.audit.stream import StreamClient
from services.evidence.domain.checkpoint import Checkpoint
from services.evidence.domain.note import Verifier
from services.evidence.domain.proofs import Node
from services.evidence.domain.tree import MemoryTree
from shared.config import SERVICES, Settings, service_settings
from shared.store import connect_pool
from shared.subjects import Naming

Progress = Callable[[str], None]
StateAudit = Callable[[asyncpg.Pool, str], Awaitable[Iterable[tuple[str, str]]]]


@dataclass
class AuditOptions:
    keys: list[Verifier]
    grace_seconds: float = 300.0
    state_path: Path | None = None
    read_jetstream: bool = True
    services: tuple[str, ...] = SERVICES
    hooks: dict[str, StateAudit] = field(default_factory=dict)


def state_hook(service: str) -> StateAudit | None:
    """`services.<service>.audit.audit_state(pool, schema)`, if the service offers one."""
    name = f"services.{service}.audit"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name not in (name, f"services.{service}"):
            raise  # the hook exists but is broken: an audit must not pass over it silently
        return None
    hook: StateAudit | None = getattr(module, "audit_state", None)
    return hook


def audit_steps(options: AuditOptions) -> int:
    return len(options.services) * 2 + 2


class Audit:
    def __init__(self, settings: Settings, options: AuditOptions, progress: Progress) -> None:
        self.settings = settings
        self.options = options
        self.progress = progress
        self.naming = Naming(settings.namespace)
        self.pools: dict[str, asyncpg.Pool] = {}
        self.report = AuditReport()

    async def pool(self, service: str) -> asyncpg.Pool:
        url = service_settings(service, self.settings).database_url
        if url not in self.pools:
            self.pools[url] = await connect_pool(url, max_size=4)
        return self.pools[url]

    async def run(self) -> AuditReport:
        nc = None
        if self.options.read_jetstream:
            nc = StreamClient()
            await nc.connect(self.settings.nats_servers)
        try:
            await self._run(nc)
        finally:
            if nc is not None:
                await nc.close()
            for pool in self.pools.values():
                await pool.close()
        return self.report

    async def _read(self, service: str, nc: StreamClient | None) -> ServiceData | None:
        pool, schema = await self.pool(service), self.settings.schema_for(service)
        if not await schema_exists(pool, schema):
            return None
        return await read_service(pool, nc, self.naming, service, schema)

    async def _run(self, nc: StreamClient | None) -> None:
        for service in self.options.services:  # one pool per URL, before the reads share them
            await self.pool(service)
        reads: list[asyncio.Task[ServiceData | None]] = []

        def read_services() -> None:
            # Started once the log's snapshot is taken, so that every event it logged is already
            # in its store; then read while the log is, as the servers serialise the next rows
            # while this process parses the last.
            reads.extend(asyncio.create_task(self._read(s, nc)) for s in self.options.services)

        try:
            await self._run_checks(read_services, reads)
        finally:
            for task in reads:
                task.cancel()  # only those left behind by a failure
            await asyncio.gather(*reads, return_exceptions=True)

    async def _run_checks(
        self, read_services: Callable[[], None], reads: list[asyncio.Task[ServiceData | None]]
    ) -> None:
        evidence_pool = await self.pool("evidence")
        log = await read_log(
            evidence_pool,
            self.settings.schema_for("evidence"),
            read_services,
            with_events=not self.options.read_jetstream,  # the streams are the witness then
        )
        # Every read finishes before the checks hold the event loop: a stream's consumer left
        # without a fetch for a minute (a big log's checks) is deleted by the server.
        services = await asyncio.gather(*reads)
        self.progress("log read")
        commitments: dict[int, bytes] = {}
        findings, tree = check_leaves(log.leaves, commitments)
        entries_intact = not findings
        findings += check_stored_nodes(log.nodes, tree)
        served = {**log.nodes, **{Node(0, leaf.index): leaf.leaf_hash for leaf in log.leaves}}
        more, checkpoints = check_checkpoints(log.checkpoints, tree, self.options.keys, served)
        findings += more + self._against_state_file(checkpoints, tree)
        if checkpoints and not any(f.kind == LEAF_REMOVED for f in findings):
            rebuilt = tree if entries_intact else None
            findings += check_inclusion(log.leaves, served, checkpoints[-1], rebuilt)
        self.report.findings += findings
        self.report.leaves, self.report.checkpoints = len(log.leaves), len(log.checkpoints)
        self.report.latest_checkpoint = log.checkpoints[-1][2] if log.checkpoints else None
        self.progress("log checked")
        leaves = {str(leaf.event_id): leaf for leaf in log.leaves}
        missing = any(f.kind == LEAF_REMOVED for f in findings)
        grace = datetime.now(UTC) - timedelta(seconds=self.options.grace_seconds)
        for service, data in zip(self.options.services, services, strict=True):
            pool, schema = await self.pool(service), self.settings.schema_for(service)
            if data is None:
                self.progress(f"{service}: no store")
                self.progress(f"{service}: skipped")
                continue
            self.progress(f"{service} read")
            found, summary = check_service(data, leaves, missing, grace, commitments)
            self.report.findings += found + await self._state(service, pool, schema, data)
            summary.state_checked = service == "evidence" or service in self.options.hooks
            self.report.services[service] = summary
            if service == "evidence":
                self.report.findings += check_published_checkpoints(
                    published_checkpoints(data.events), checkpoints
                )
            self.progress(f"{service} checked")
        if self.report.ok and checkpoints and self.options.state_path:
            self._save_state(checkpoints[-1], log.checkpoints[-1][2])

    async def _state(
        self, service: str, pool: asyncpg.Pool, schema: str, data: ServiceData
    ) -> list[Finding]:
        hook = self.options.hooks.get(service)
        if hook is None:
            return []
        return [Finding(STATE_MISMATCH, f"{service} {s}", d) for s, d in await hook(pool, schema)]

    def _against_state_file(self, checkpoints: list[Checkpoint], tree: MemoryTree) -> list[Finding]:
        path = self.options.state_path
        if path is None or not path.exists():
            return []
        seen = json.loads(path.read_text())
        return check_against_seen(
            int(seen["size"]), base64.b64decode(seen["root"]), checkpoints, tree
        )

    def _save_state(self, latest: Checkpoint, note: str) -> None:
        assert self.options.state_path is not None
        state: dict[str, Any] = {
            "origin": latest.origin,
            "size": latest.size,
            "root": base64.b64encode(latest.root).decode(),
            "note": note,
        }
        self.options.state_path.write_text(json.dumps(state, indent=2))


@contextlib.contextmanager
def without_cycle_collection() -> Iterator[None]:
    """The audit keeps every event, leaf and node it read until it ends: millions of objects
    that CPython's cycle collector scans again at each full collection (a fifth of the audit's
    CPU at 40,000 events). What the audit keeps holds no cycles; the collector resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def run_audit(
    settings: Settings, options: AuditOptions, progress: Progress | None = None
) -> AuditReport:
    for service in options.services:
        hook = state_hook(service)
        if hook is not None and service not in options.hooks:
            options.hooks[service] = hook
    with without_cycle_collection():
        return await Audit(settings, options, progress or (lambda _: None)).run()
