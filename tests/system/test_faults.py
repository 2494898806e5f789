"""Faults during a load of 300 notes in flight. Each run ends with every note completed and
anchored (the load driver retries what a fault left unanswered), every consumer caught up (each
event processed once), exactly one evidence leaf per event, and `jietiao audit` passing."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.config import Settings
from shared.stack.embedded import EmbeddedPostgres
from tests.conftest import _drop_namespace, drop_schemas, new_namespace
from tests.system.faults import (
    NOTES,
    NatsCluster,
    load_with,
    nats_cluster,
    prepared,
    sleep_unless,
    streams_have_three_replicas,
)
from tests.system.support import Services, assert_all_consistent, ok_notes, summary

# Two of each: while one replica restarts, the other answers its commands.
TWO_EACH = {"drafting": 2, "identity": 2, "signing": 2, "evidence": 2}
ONE_EACH = {"drafting": 1, "identity": 1, "signing": 1, "evidence": 1}


@pytest.mark.timeout(900)
async def test_sigkill_of_random_service_processes(
    settings: Settings, services_of: type[Services], tmp_path: Path
) -> None:
    services = services_of(settings, TWO_EACH, tmp_path / "logs")
    services.start()
    await services.live()
    chooser = random.Random(os.getpid())
    killed: list[str] = []

    async def kill_every_few_seconds(done: asyncio.Event) -> None:
        # The 300 notes take ~40 s here now (they took longer): at 8 s apart, 4 kills.
        while not await sleep_unless(done, 5.0):
            name = chooser.choice(services.names())
            services.signal(name, signal.SIGKILL)
            killed.append(name)
            services.restart(name)

    run = await load_with(settings, kill_every_few_seconds)
    await services.live()
    report = f"{summary(run)}; killed {len(killed)}: {killed}"
    print(f"\nSIGKILL every 5 s: {report}")
    assert len(killed) >= 5, report
    assert ok_notes(run) == NOTES, report
    await assert_all_consistent(settings, run, tmp_path)


@pytest.fixture
async def on_cluster(
    servers: tuple[str, str], tmp_path: Path
) -> AsyncIterator[tuple[Settings, NatsCluster]]:
    database_url, _ = servers
    async with nats_cluster(tmp_path / "nats") as cluster:
        settings = Settings(
            nats_url=cluster.urls,
            database_url=database_url,
            namespace=new_namespace(),
            env="test",
            stream_replicas=3,
        )
        settings = await prepared(settings)
        try:
            yield settings, cluster
        finally:
            await drop_schemas(settings)


@pytest.mark.timeout(900)
async def test_a_nats_node_killed_and_restarted(
    on_cluster: tuple[Settings, NatsCluster], services_of: type[Services], tmp_path: Path
) -> None:
    settings, cluster = on_cluster
    assert set((await streams_have_three_replicas(settings)).values()) == {3}
    services = services_of(settings, ONE_EACH, tmp_path / "logs")
    services.start()
    await services.live()

    async def kill_and_restart_a_node(done: asyncio.Event) -> None:
        if await sleep_unless(done, 15.0):
            return
        # The node the most service connections are on: their relays, pull consumers and
        # command subscriptions move to the other nodes, and the streams and consumers it led
        # elect new leaders; it catches up once it is back.
        node, on_it = await asyncio.to_thread(cluster.busiest)
        killed.append((node, on_it))
        cluster.kill(node)
        await sleep_unless(done, 15.0)
        cluster.start(node)
        await cluster.healthy()

    killed: list[tuple[str, list[str]]] = []
    run = await load_with(settings, kill_and_restart_a_node)
    report = f"{summary(run)}; killed (node, its service connections): {killed}"
    print(f"\nNATS node killed for 15 s: {report}")
    assert killed, report
    assert killed[0][1], report  # services were connected to it
    assert not services.unexpected_exits(), report
    assert ok_notes(run) == NOTES, report
    await assert_all_consistent(settings, run, tmp_path)


@pytest.fixture
async def on_own_postgres(
    servers: tuple[str, str],
) -> AsyncIterator[tuple[Settings, EmbeddedPostgres]]:
    _, nats_url = servers
    # A short path: the server's unix socket lives in its data directory.
    with tempfile.TemporaryDirectory(prefix="jt-pg-") as root:
        postgres = EmbeddedPostgres(Path(root))
        postgres.start()
        try:
            settings = Settings(
                nats_url=nats_url,
                database_url=postgres.url,
                namespace=new_namespace(),
                env="test",
            )
            settings = await prepared(settings)
            yield settings, postgres
            await _drop_namespace(settings)
        finally:
            postgres.stop()


@pytest.mark.timeout(900)
async def test_postgres_restarted_mid_run(
    on_own_postgres: tuple[Settings, EmbeddedPostgres],
    services_of: type[Services],
    tmp_path: Path,
) -> None:
    settings, postgres = on_own_postgres
    services = services_of(settings, ONE_EACH, tmp_path / "logs")
    services.start()
    await services.live()

    async def restart_postgres(done: asyncio.Event) -> None:
        if await sleep_unless(done, 20.0):
            return
        await asyncio.to_thread(postgres.stop)
        await asyncio.sleep(3.0)
        await asyncio.to_thread(postgres.start)

    run = await load_with(settings, restart_postgres)
    report = summary(run)
    print(f"\nPostgreSQL restarted: {report}")
    assert postgres.url == settings.database_url
    assert not services.unexpected_exits(), report
    assert ok_notes(run) == NOTES, report
    await assert_all_consistent(settings, run, tmp_path)
