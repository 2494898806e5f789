"""The whole-system benchmark still works: a few lifecycles through `bench.lifecycle` against the
services running as processes complete, with every event anchored. Correctness only, no speed."""

from __future__ import annotations

from bench.lifecycle import run_lifecycles, running_stack
from shared.config import Settings


async def test_a_few_lifecycles_complete_and_every_event_is_anchored(settings: Settings) -> None:
    async with running_stack(settings) as stack:
        assert len(stack.pids("signing")) == 1
        run = await run_lifecycles(settings, pairs=2, notes_per_pair=2, anchor_timeout=30)
    assert [o.error for o in run.outcomes] == [None] * 4
    assert all(o.completed and o.anchored for o in run.outcomes)
    assert len({o.note_id for o in run.outcomes}) == 4
    assert len(run.second_signature_to_completed) == 4
    assert len(run.commit_to_anchored) == run.events > 4 * 10
    assert len(run.latencies["sign"]) == 8
