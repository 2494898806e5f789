"""The read models rebuilt from zero by replaying the streams equal the live ones."""

from __future__ import annotations

from typing import Any

from services.gateway.readmodel.queries import ReadModels
from services.gateway.readmodel.rebuild import rebuild
from shared.runtime import load_service
from shared.store import EventStore, apply_migrations
from tests.gateway.conftest import drafted, verified
from tests.gateway.journey import completed_note, invite
from tests.gateway.stack import Stack, eventually


async def _snapshot(store: EventStore) -> dict[str, list[dict[str, Any]]]:
    return await ReadModels(store).snapshot()


async def test_a_rebuild_by_replay_equals_the_live_read_models(stack: Stack) -> None:
    lender, borrower, other = stack.client(), stack.client(), stack.client()
    await verified(stack, lender)
    await verified(stack, borrower, "李四")
    await verified(stack, other, "王五")
    done = await drafted(stack, lender)
    await completed_note(stack, lender, borrower, done)
    invited = await drafted(stack, other, initiator_role="borrower")
    await invite(other, invited)
    cancelled = await drafted(stack, lender)
    await lender.post(f"/api/v1/notes/{cancelled}/cancel", json={"reason": "mistake"})

    fresh = EventStore(stack.store.pool, f"{stack.store.schema}_rebuilt")
    await apply_migrations(fresh.pool, fresh.schema, load_service("gateway").migrations)
    try:

        async def rebuilt_equals_live() -> bool:
            replayed = await rebuild(fresh, stack.nc, stack.naming)
            live, rebuilt = await _snapshot(stack.store), await _snapshot(fresh)
            return replayed > 0 and live == rebuilt

        await eventually(rebuilt_equals_live, within=60)
        rebuilt = await _snapshot(fresh)
        statuses = {str(r["note_id"]): r["status"] for r in rebuilt["note_summaries"]}
        assert statuses[done] == "completed"
        assert statuses[invited] == "invited"
        assert statuses[cancelled] == "cancelled"
        assert rebuilt["anchors"], "evidence anchors are part of the read models"
    finally:
        await stack.store.pool.execute(f"DROP SCHEMA {fresh.schema} CASCADE")
