"""The load driver is a resilient client: a command that went unanswered or failed for a passing
reason is sent again; after a repeat, the refusal that means "an earlier attempt did it" is
success; a refusal of bad input is never retried; nothing is retried past the deadline. Against a
real NATS, with a stand-in service that loses answers."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from bench.lifecycle import _Client
from shared.commands import CommandRejected
from shared.config import Settings
from shared.subjects import Naming
from tests.conftest import new_namespace

Answer = Callable[[int], str | None]  # attempt number → refusal code, "ok", or None (lost)


@pytest.fixture
async def connected(servers: tuple[str, str]) -> AsyncIterator[tuple[NatsClient, Settings]]:
    settings = Settings(nats_url=servers[1], namespace=new_namespace(), env="test")
    nc = await nats.connect(settings.nats_servers)
    yield nc, settings
    await nc.close()


async def stand_in(nc: NatsClient, settings: Settings, answer: Answer) -> list[int]:
    """Answers drafting's `draft_note` as `answer` says; returns the attempts it saw."""
    seen: list[int] = []

    async def respond(msg: Msg) -> None:
        seen.append(len(seen))
        code = answer(seen[-1])
        if code is None:
            return  # the answer is lost
        error = {"code": code, "message": code, "message_zh": code, "field": None}
        reply = {"ok": True, "result": {"n": seen[-1]}} if code == "ok" else {"ok": False}
        await msg.respond(json.dumps({**reply, "error": error}).encode())

    subject = Naming(settings.namespace).command_subject("drafting", "draft_note")
    await nc.subscribe(subject, cb=respond)
    await nc.flush()
    return seen


def client(nc: NatsClient, settings: Settings, within: float = 20.0) -> _Client:
    return _Client(nc, settings, time.perf_counter() + within, reply_timeout=0.5)


async def draft(c: _Client) -> dict[str, object] | None:
    return await c.call("drafting", "draft_note", done_if=frozenset({"note_exists"}), note_id="n")


async def test_a_lost_answer_is_retried_and_already_done_counts_as_done(
    connected: tuple[NatsClient, Settings],
) -> None:
    nc, settings = connected
    seen = await stand_in(nc, settings, lambda n: None if n == 0 else "note_exists")
    c = client(nc, settings)
    assert await draft(c) is None
    assert seen == [0, 1]
    assert c.retries == {"draft_note": 1}
    assert len(c.latencies["draft_note"]) == 1  # answered attempts only


async def test_a_passing_failure_is_retried_until_answered(
    connected: tuple[NatsClient, Settings],
) -> None:
    nc, settings = connected
    seen = await stand_in(nc, settings, lambda n: "internal" if n < 2 else "ok")
    c = client(nc, settings)
    assert await draft(c) == {"n": 2}
    assert c.retries == {"draft_note": 2}
    assert seen == [0, 1, 2]


@pytest.mark.parametrize("code", ["note_exists", "above_limit"])
async def test_a_first_refusal_is_final(connected: tuple[NatsClient, Settings], code: str) -> None:
    nc, settings = connected
    seen = await stand_in(nc, settings, lambda n: code)
    c = client(nc, settings)
    with pytest.raises(CommandRejected) as refused:
        await draft(c)
    assert refused.value.code == code
    assert seen == [0]
    assert not c.retries


async def test_nothing_is_retried_past_the_deadline(
    connected: tuple[NatsClient, Settings],
) -> None:
    nc, settings = connected
    seen = await stand_in(nc, settings, lambda n: None)
    c = client(nc, settings, within=1.5)
    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        await draft(c)
    assert 1.5 <= time.perf_counter() - started < 5.0
    assert len(seen) >= 2
