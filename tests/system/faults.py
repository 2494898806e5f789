"""Loads with a fault injected while they run, and the servers a fault test owns: a 3-node NATS
cluster from the `nats-server` binary and a PostgreSQL of its own, all on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import nats

from bench.lifecycle import LifecycleRun, run_lifecycles
from shared.bootstrap import prepare
from shared.config import SERVICES, Settings
from shared.stack.embedded import free_port, nats_server_binary
from shared.stack.process import Child, stop_all, tail
from shared.stack.server import http_ok
from shared.subjects import Naming

# "At least 300 notes in flight": one note per pair, the pairs arriving over ~40 s.
NOTES = 300
ARRIVAL_RATE = 7.5
# The driver retries an unanswered command until then (from the first arrival): well past the
# longest fault and its recovery.
GIVE_UP_AFTER = 300.0
# A request lost with a killed process or node is sent again after this; shorter than the
# benchmark's (a slow answer sent again costs load, never correctness), so a fault costs less.
REPLY_TIMEOUT = 20.0

Fault = Callable[[asyncio.Event], Awaitable[None]]
# How the services name their NATS connections (shared.runtime, evidence's anchoring).
SERVICE_CLIENTS = ("-relay", "-broker", "evidence-anchor")


async def load_with(settings: Settings, fault: Fault) -> LifecycleRun:
    """Run the load; `fault(load_done)` runs beside it and must return soon after `load_done`."""
    done = asyncio.Event()

    async def load() -> LifecycleRun:
        try:
            return await run_lifecycles(
                settings,
                pairs=NOTES,
                anchor_timeout=240,
                arrival_rate=ARRIVAL_RATE,
                give_up_after=GIVE_UP_AFTER,
                reply_timeout=REPLY_TIMEOUT,
            )
        finally:
            done.set()

    run, _ = await asyncio.gather(load(), fault(done))
    return run


async def sleep_unless(done: asyncio.Event, seconds: float) -> bool:
    """Sleep; True if the load finished meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), seconds)
    return done.is_set()


class NatsCluster:
    """Three JetStream nodes on loopback, each restartable on its own ports and store."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.nodes = [f"n{i}" for i in (1, 2, 3)]
        self.client_ports = {n: free_port() for n in self.nodes}
        self.cluster_ports = {n: free_port() for n in self.nodes}
        self.monitor_ports = {n: free_port() for n in self.nodes}
        self.children: dict[str, Child] = {}
        self.retired: list[Child] = []

    def url(self, node: str) -> str:
        return f"nats://127.0.0.1:{self.client_ports[node]}"

    @property
    def urls(self) -> str:
        """Every node, as `NATS_URL` lists them."""
        return ",".join(self.url(n) for n in self.nodes)

    def clients(self, node: str) -> list[str]:
        """Names of the clients connected to `node` (from its monitoring endpoint)."""
        url = f"http://127.0.0.1:{self.monitor_ports[node]}/connz?limit=1000"
        with urllib.request.urlopen(url, timeout=5) as reply:
            return [str(c.get("name", "")) for c in json.load(reply)["connections"]]

    def busiest(self) -> tuple[str, list[str]]:
        """The running node with the most service connections, and their names."""
        on = {n: [c for c in self.clients(n) if c.endswith(SERVICE_CLIENTS)] for n in self.children}
        node = max(on, key=lambda n: len(on[n]))
        return node, on[node]

    def start(self, node: str) -> None:
        store = self.root / node
        store.mkdir(parents=True, exist_ok=True)
        routes = ",".join(
            f"nats://127.0.0.1:{self.cluster_ports[n]}" for n in self.nodes if n != node
        )
        argv = [
            nats_server_binary(),
            "--name", node,
            "--addr", "127.0.0.1",
            "--port", str(self.client_ports[node]),
            "--http_port", str(self.monitor_ports[node]),
            "--jetstream",
            "--store_dir", str(store),
            "--cluster_name", "jietiao-test",
            "--cluster", f"nats://127.0.0.1:{self.cluster_ports[node]}",
            "--routes", routes,
        ]  # fmt: skip
        self.children[node] = Child(f"nats-{node}", argv, log_path=self.root / f"{node}.log")

    def kill(self, node: str) -> None:
        child = self.children.pop(node)
        stop_all([child], grace=0.0)  # SIGKILL at once: no goodbye to the peers
        self.retired.append(child)

    async def healthy(self, within: float = 60.0) -> None:
        """Until every running node says JetStream is current (meta leader known, caught up)."""
        deadline = time.monotonic() + within
        for node in self.children:
            url = f"http://127.0.0.1:{self.monitor_ports[node]}/healthz"
            while not await asyncio.to_thread(http_ok, url):
                log = self.root / f"{node}.log"
                assert time.monotonic() < deadline, f"{node} not healthy: {tail(log)}"
                await asyncio.sleep(0.25)

    def stop(self) -> None:
        stop_all([*self.children.values(), *self.retired], grace=10.0)
        self.children.clear()


@contextlib.asynccontextmanager
async def nats_cluster(root: Path) -> AsyncIterator[NatsCluster]:
    cluster = NatsCluster(root)
    try:
        for node in cluster.nodes:
            cluster.start(node)
        await cluster.healthy()
        yield cluster
    finally:
        cluster.stop()


async def streams_have_three_replicas(settings: Settings) -> dict[str, int]:
    nc = await nats.connect(settings.nats_servers)
    try:
        js = nc.jetstream()
        naming = Naming(settings.namespace)
        return {
            s: int((await js.stream_info(naming.stream_name(s))).config.num_replicas or 1)
            for s in SERVICES
        }
    finally:
        await nc.close()


async def prepared(settings: Settings) -> Settings:
    await prepare(settings)
    return settings
