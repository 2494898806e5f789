"""Real PostgreSQL and NATS for the tests, and a namespace per test run (or per test).

Where the servers come from, in order: `DATABASE_URL` / `NATS_URL` from the environment; else
testcontainers when a Docker daemon answers; else the embedded binaries `jietiao up` uses.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import nats
import pytest

from shared.bootstrap import prepare
from shared.config import SERVICES, Settings
from shared.store import EventStore, connect_pool
from shared.subjects import Naming

RUN_ID = uuid.uuid4().hex[:8]
_namespaces = itertools.count(1)


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def _containers() -> Iterator[tuple[str, str]]:
    from testcontainers.nats import NatsContainer
    from testcontainers.postgres import PostgresContainer

    with (
        PostgresContainer("postgres:16-alpine", driver=None) as pg,
        NatsContainer("nats:2.11").with_command("-js") as nc,
    ):
        yield pg.get_connection_url(), nc.nats_uri()


@contextlib.contextmanager
def _embedded() -> Iterator[tuple[str, str]]:
    from shared.stack.embedded import EmbeddedNats, EmbeddedPostgres

    with (
        tempfile.TemporaryDirectory(prefix="jt-") as root,
        EmbeddedPostgres(Path(root)) as pg,
        EmbeddedNats(Path(root)) as nc,
    ):
        yield pg.url, nc.url


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[str, str]]:
    """(database_url, nats_url) of a real PostgreSQL and a real NATS with JetStream."""
    env_db, env_nats = os.environ.get("DATABASE_URL"), os.environ.get("NATS_URL")
    if env_db and env_nats:
        yield env_db, env_nats
    elif _docker_answers():
        with _containers() as urls:
            yield urls
    else:
        with _embedded() as urls:
            yield urls


def new_namespace() -> str:
    return f"t{RUN_ID}_{next(_namespaces)}"


async def drop_schemas(settings: Settings) -> None:
    conn = await asyncpg.connect(settings.database_url)
    try:
        for service in SERVICES:
            await conn.execute(f"DROP SCHEMA IF EXISTS {settings.schema_for(service)} CASCADE")
    finally:
        await conn.close()


async def _drop_namespace(settings: Settings) -> None:
    await drop_schemas(settings)
    nc = await nats.connect(settings.nats_servers)
    try:
        js = nc.jetstream()
        for service in SERVICES:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_stream(Naming(settings.namespace).stream_name(service))
    finally:
        await nc.close()


@pytest.fixture
async def settings(servers: tuple[str, str]) -> AsyncIterator[Settings]:
    """Settings of a namespace of this test alone: its own schemas and streams, all prepared."""
    database_url, nats_url = servers
    settings = Settings(
        nats_url=nats_url, database_url=database_url, namespace=new_namespace(), env="test"
    )
    await prepare(settings)
    yield settings
    await _drop_namespace(settings)


@pytest.fixture
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await connect_pool(settings.database_url, max_size=12)
    yield pool
    await pool.close()


@pytest.fixture
def store(pool: asyncpg.Pool, settings: Settings) -> EventStore:
    """The drafting service's event store in this test's namespace."""
    return EventStore(pool, settings.schema_for("drafting"))


@pytest.fixture
async def nc(settings: Settings) -> AsyncIterator[nats.NATS]:
    client = await nats.connect(settings.nats_servers)
    yield client
    await client.close()
