"""What an audit finds, named by the kind of tampering it shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

EVENT_CHANGED = "event_changed"
EVENT_DELETED = "event_deleted"
EVENT_INSERTED = "event_inserted"
EVENT_REORDERED = "event_reordered"
EVENT_NOT_ANCHORED = "event_not_anchored"
LEAF_CHANGED = "leaf_changed"
LEAF_REMOVED = "leaf_removed"
CHECKPOINT_FORGED = "checkpoint_forged"
CHECKPOINT_ROLLED_BACK = "checkpoint_rolled_back"
STATE_MISMATCH = "state_mismatch"


@dataclass(frozen=True)
class Finding:
    kind: str
    subject: str
    detail: str


@dataclass
class ServiceSummary:
    events: int = 0
    anchored: int = 0
    pending: int = 0
    on_jetstream: int = 0
    state_checked: bool = False


@dataclass
class AuditReport:
    findings: list[Finding] = field(default_factory=list)
    services: dict[str, ServiceSummary] = field(default_factory=dict)
    leaves: int = 0
    checkpoints: int = 0
    latest_checkpoint: str | None = None

    @property
    def ok(self) -> bool:
        return not self.findings

    def counts(self) -> dict[str, int]:
        return dict(Counter(f.kind for f in self.findings))

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": self.counts(),
            "findings": [asdict(f) for f in self.findings],
            "services": {name: asdict(s) for name, s in self.services.items()},
            "leaves": self.leaves,
            "checkpoints": self.checkpoints,
            "latest_checkpoint": self.latest_checkpoint,
        }
