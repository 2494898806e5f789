"""Per-service scaling: with 3 replicas of signing and evidence, 500 notes run to completion and
every event is processed once per consumer; the throughput is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.lifecycle import run_lifecycles
from shared.config import Settings
from tests.system.support import Services, assert_all_consistent, ok_notes, summary

NOTES = 500
REPLICAS = {"drafting": 1, "identity": 1, "signing": 3, "evidence": 3}


@pytest.mark.timeout(900)
async def test_500_notes_with_three_replicas_of_signing_and_evidence(
    settings: Settings,
    services_of: type[Services],
    tmp_path: Path,
    record_property: pytest.RecordProperty,
) -> None:
    services = services_of(settings, REPLICAS, tmp_path / "logs")
    services.start()
    await services.live()

    # Pairs arrive over ~40 s (open loop): 500 parties logging in at one instant would only
    # measure how long a login queue gets.
    run = await run_lifecycles(
        settings, pairs=NOTES // 2, notes_per_pair=2, anchor_timeout=180, arrival_rate=6.0
    )

    report = summary(run)
    print(f"\n3 replicas of signing and evidence: {report}")
    record_property("lifecycles_per_second", round(run.lifecycles_per_second, 2))
    record_property("events_per_second", round(run.events_per_second, 1))
    assert not services.unexpected_exits(), report
    # No fault here: every lifecycle must finish.
    assert ok_notes(run) == NOTES, report
    await assert_all_consistent(settings, run, tmp_path)
