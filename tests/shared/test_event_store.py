"""The event store against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from shared.store import ConcurrencyError, DuplicateEventError, EventStore, apply_migrations
from tests.shared.sample_events import SampleRenamed, sample_event


async def test_appended_events_read_back_equal(store: EventStore) -> None:
    stream = uuid.uuid4()
    events = [sample_event(stream, v, amount=f"{v}.01") for v in (1, 2, 3)]
    await store.append(events)
    assert await store.read_stream(stream) == events
    assert await store.stream_version(stream) == 3


async def test_two_appends_at_the_same_version_one_wins(store: EventStore) -> None:
    stream = uuid.uuid4()
    await store.append([sample_event(stream, 1)])
    results = await asyncio.gather(
        store.append([sample_event(stream, 2, "2.00")]),
        store.append([sample_event(stream, 2, "3.00")]),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["ConcurrencyError", "int"]
    assert len(await store.read_stream(stream)) == 2


async def test_appending_past_the_current_version_is_a_conflict(store: EventStore) -> None:
    stream = uuid.uuid4()
    with pytest.raises(ConcurrencyError) as raised:
        await store.append([sample_event(stream, 3)])
    assert (raised.value.expected, raised.value.actual) == (2, 0)


async def test_the_same_event_id_is_stored_once(store: EventStore) -> None:
    event = sample_event()
    await store.append([event])
    copy = event.model_copy(update={"stream_id": uuid.uuid4()})
    with pytest.raises(DuplicateEventError):
        await store.append([copy])


async def test_events_must_be_consecutive_versions_of_one_stream(store: EventStore) -> None:
    stream = uuid.uuid4()
    with pytest.raises(ValueError, match="consecutive"):
        await store.append([sample_event(stream, 1), sample_event(stream, 3)])
    with pytest.raises(ValueError, match="consecutive"):
        await store.append([sample_event(stream, 1), sample_event(uuid.uuid4(), 2)])


async def test_1000_appends_from_8_writers_get_gap_free_positions(store: EventStore) -> None:
    async def writer() -> None:
        for _ in range(125):
            await store.append([sample_event()])

    await asyncio.gather(*(writer() for _ in range(8)))
    recorded = await store.read_all(0, 2000)
    assert [r.global_position for r in recorded] == list(range(1, 1001))
    assert len({r.document["event_id"] for r in recorded}) == 1000


async def test_a_slow_transaction_never_lets_a_reader_skip_its_event(store: EventStore) -> None:
    # The reader tails by position; a late commit must not leave a hole behind it.
    slow_committed = asyncio.Event()

    async def slow() -> None:
        async with store.transaction() as tx:
            await tx.append([sample_event()])
            await asyncio.sleep(0.3)
        slow_committed.set()

    task = asyncio.create_task(slow())
    await asyncio.sleep(0.05)
    await store.append([sample_event()])  # waits for the slow writer's lock
    assert slow_committed.is_set()
    await task
    assert [r.global_position for r in await store.read_all()] == [1, 2]


async def test_stored_events_cannot_be_updated_or_deleted(store: EventStore) -> None:
    await store.append([sample_event()])
    with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
        await store.pool.execute(f"UPDATE {store.schema}.events SET actor = 'mallory'")
    with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
        await store.pool.execute(f"DELETE FROM {store.schema}.events")


async def test_read_all_pages_from_a_position(store: EventStore) -> None:
    for _ in range(5):
        await store.append([sample_event()])
    page = await store.read_all(after=2, limit=2)
    assert [r.global_position for r in page] == [3, 4]
    assert await store.last_position() == 5


async def test_a_rolled_back_transaction_leaves_nothing(store: EventStore) -> None:
    async def failing_handler() -> None:
        async with store.transaction() as tx:
            await tx.append([sample_event()])
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        await failing_handler()
    assert await store.read_all() == []


async def test_migrations_are_applied_once(store: EventStore) -> None:
    assert await apply_migrations(store.pool, store.schema) == []
    rows = await store.pool.fetch(f"SELECT id FROM {store.schema}.schema_migrations")
    ids = [r["id"] for r in rows]
    assert ids[0] == "shared/0001_event_store"
    assert len(ids) == len(set(ids))


async def test_concurrent_migrations_of_a_new_schema_do_not_collide(store: EventStore) -> None:
    schema = f"{store.schema}_x"
    try:
        applied = await asyncio.gather(*(apply_migrations(store.pool, schema) for _ in range(4)))
        assert sorted(len(a) for a in applied) == [0, 0, 0, 1]
    finally:
        await store.pool.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_schema_names_must_be_plain_identifiers(store: EventStore) -> None:
    with pytest.raises(ValueError, match="identifier"):
        EventStore(store.pool, "x; DROP TABLE users")


async def test_an_event_stored_at_v1_is_read_back_at_v2(store: EventStore) -> None:
    stream = uuid.uuid4()
    await store.pool.execute(
        f"SELECT {store.schema}.append_events($1, 0, 'sample', $2, $3, $4, $5, $6, $7, $8, $9)",
        stream,
        [uuid.uuid4()],
        ["SampleRenamed"],
        [1],
        [datetime.now(UTC)],
        [uuid.uuid4()],
        [None],
        ["test"],
        [{"name": "李 四"}],
    )
    [event] = await store.read_stream(stream)
    assert event.schema_version == 2
    assert event.payload == SampleRenamed(family_name="李", given_name="四")
    [recorded] = await store.read_all()
    assert recorded.document["schema_version"] == 1  # the stored event is never rewritten
    assert recorded.document["payload"] == {"name": "李 四"}
