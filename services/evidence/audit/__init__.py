"""`jietiao audit`: replays every store and stream against the log and names any tampering.

Services may offer a state check of their own: a module `services.<service>.audit` with
`async def audit_state(pool, schema) -> Iterable[tuple[subject, detail]]` that folds the
service's events and compares the result with the state the service holds; every pair returned
is reported as a `state_mismatch`. The evidence service's own check is below.
"""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from services.evidence.audit.findings import AuditReport, Finding
from services.evidence.audit.runner import AuditOptions, audit_steps, run_audit
from shared.catalogue.evidence import EvidenceAnchored

__all__ = ["AuditOptions", "AuditReport", "Finding", "audit_state", "audit_steps", "run_audit"]


async def audit_state(pool: asyncpg.Pool, schema: str) -> Iterable[tuple[str, str]]:
    """The log's announcements, folded, must match its leaves: each anchored event at its index."""
    rows = await pool.fetch(
        f"SELECT a->>'event_id' AS event_id, (a->>'leaf_index')::bigint AS idx, "
        f"a->>'leaf_hash' AS leaf_hash, l.event_id::text AS leaf_event, l.leaf_hash AS stored "
        f"FROM {schema}.events e CROSS JOIN LATERAL jsonb_array_elements({_ANCHORED}) a "
        f"LEFT JOIN {schema}.leaves l ON l.leaf_index = (a->>'leaf_index')::bigint "
        "WHERE e.event_type = $1",
        EvidenceAnchored.event_type(),
    )
    return [
        (f"leaf {r['idx']}", f"announced for {r['event_id']}, the log disagrees")
        for r in rows
        if r["leaf_event"] != r["event_id"] or (r["stored"] or b"").hex() != r["leaf_hash"]
    ]


# The store keeps each announcement as written: a v1 payload is the one entry itself.
_ANCHORED = (
    "CASE WHEN e.schema_version = 1 THEN jsonb_build_array(e.payload) "
    "ELSE e.payload->'anchored' END"
)
