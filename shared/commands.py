"""Commands over NATS request/reply: one reply shape for every service, errors that name the
field and the rule, in Chinese and English, and nothing else (never a stack trace).

Replicas of a service answer through one queue group, so each command is handled once, one at a
time per command as it arrives. A service registers its commands on its broker and answers them
with `serve_commands` once the broker is started: on the broker's nats-py connection, not through
FastStream subscribers. FastStream's middleware chain, dependency injection and reply publisher
were a third of a command's CPU (identity's per lifecycle fell from ~70 to ~48 ms without them);
FastStream still documents the commands (`document_commands`, for AsyncAPI), and the process's
metrics and traces come from the `around` scope the runtime passes in.
"""

import asyncio
import contextlib
import json
import uuid
import weakref
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import NoRespondersError
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.bus.delivery import Delivery, as_delivery
from shared.errors import Refusal
from shared.logging import get_logger
from shared.subjects import Naming

log = get_logger(__name__)

HEADER_CORRELATION_ID = "Jietiao-Correlation-Id"
_NO_RESPONDER_RETRIES = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
Request = TypeVar("Request", bound=BaseModel)


class CommandRejected(Refusal):
    """A refusal as the command layer raises it, or as a caller receives it."""


class CommandModel(BaseModel):
    """Base of command requests and results: immutable, unknown fields refused."""

    # Requests carry ID numbers, names and phone numbers: pydantic's JSON parser would keep
    # their values in its process-wide string cache (16,384 entries) after the request is
    # gone. Keys repeat and are worth caching; values are neither.
    model_config = ConfigDict(frozen=True, extra="forbid", cache_strings="keys")


def _invalid(error: ValidationError) -> CommandRejected:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    return CommandRejected(
        "invalid_request", first["msg"], message_zh=f"请求无效：{first['msg']}", field=field
    )


async def run_command(
    data: bytes, model: type[Request], handle: Callable[[Request], Awaitable[BaseModel]]
) -> dict[str, Any]:
    """Validate, handle, and turn the outcome into the one reply shape."""
    try:
        request = model.model_validate_json(data)
        result = await handle(request)
    except ValidationError as error:
        return {"ok": False, "error": _invalid(error).body()}
    except Refusal as refused:
        return {"ok": False, "error": refused.body()}
    except Exception:  # the caller gets a code, the log gets the trace
        log.exception("command failed")
        return {"ok": False, "error": CommandRejected("internal", "internal error").body()}
    return {"ok": True, "result": result.model_dump(mode="json")}


@dataclass(frozen=True)
class CommandRoute:
    subject: str
    queue: str
    service: str
    name: str
    model: type[BaseModel]
    handle: Callable[[Any], Awaitable[BaseModel]]


# What each broker's service answers, until `serve_commands` subscribes it.
_ROUTES: weakref.WeakKeyDictionary[NatsBroker, list[CommandRoute]] = weakref.WeakKeyDictionary()

# Around each answer: the runtime's metrics and trace span, given the request.
Around = Callable[[Msg], AbstractContextManager[None]]


def register_command(
    broker: NatsBroker,
    naming: Naming,
    service: str,
    name: str,
    model: type[Request],
    handle: Callable[[Request], Awaitable[BaseModel]],
) -> None:
    """Route `service.name` to `handle`: answered once `serve_commands(broker)` runs."""
    subject = naming.command_subject(service, name)
    route = CommandRoute(subject, f"{service}-cmd", service, name, model, handle)
    _ROUTES.setdefault(broker, []).append(route)


def command_routes(broker: NatsBroker) -> list[CommandRoute]:
    return list(_ROUTES.get(broker, ()))


async def serve_commands(broker: NatsBroker, around: Around | None = None) -> "CommandServer":
    """Answer every command registered on `broker`, on its connection (start the broker first)."""
    server = CommandServer(command_routes(broker), around)
    await server.start(broker.connection)
    return server


class CommandServer:
    """The subscriptions answering a service's commands in this process."""

    def __init__(self, routes: list[CommandRoute], around: Around | None = None) -> None:
        self.routes = routes
        self._around = around or (lambda _: contextlib.nullcontext())
        self._subscriptions: list[Subscription] = []

    async def start(self, nc: NatsClient) -> None:
        for route in self.routes:
            answer = self._answerer(route)
            self._subscriptions.append(await nc.subscribe(route.subject, route.queue, cb=answer))

    async def drain(self, within: float) -> None:
        """The server sends this replica no more requests (its queue group's other members get
        them) and those already here are answered. Unsubscribing at once would drop them, and
        their callers would wait for their timeout."""

        async def drain(subscription: Subscription) -> None:
            with contextlib.suppress(Exception):  # already closed: nothing left to answer
                await asyncio.wait_for(subscription.drain(), within)  # type: ignore[no-untyped-call]

        subscriptions, self._subscriptions = self._subscriptions, []
        await asyncio.gather(*(drain(s) for s in subscriptions))

    def _answerer(self, route: CommandRoute) -> Callable[[Msg], Awaitable[None]]:
        async def answer(msg: Msg) -> None:
            with self._around(msg):
                reply = await _answer(route, msg.data, msg.headers)
            if msg.reply:
                await msg.respond(reply)

        return answer


async def _answer(route: CommandRoute, data: bytes, headers: dict[str, str] | None) -> bytes:
    correlation_id = (headers or {}).get(HEADER_CORRELATION_ID) or str(uuid.uuid4())
    with structlog.contextvars.bound_contextvars(
        command=f"{route.service}.{route.name}", correlation_id=correlation_id
    ):
        reply = await run_command(data, route.model, route.handle)
        if not reply["ok"]:
            # `code` is redacted in logs (one-time codes); the refusal goes by another key.
            log.info("command refused", refusal=reply["error"]["code"])
    return json.dumps(reply).encode()


def document_commands(broker: NatsBroker) -> None:
    """FastStream subscribers for `broker`'s commands, on a broker that never starts: what the
    AsyncAPI document lists (the same channels and operations as when FastStream answered)."""
    for route in command_routes(broker):
        subscriber = broker.subscriber(route.subject, queue=route.queue, decoder=as_delivery)
        subscriber(_responder(route))


def _responder(route: CommandRoute) -> Callable[..., Awaitable[bytes]]:
    # This module has no `from __future__ import annotations`: FastStream checks the argument by
    # its evaluated annotation (see shared.bus.delivery).
    async def respond(delivery: Delivery) -> bytes:
        msg = delivery.message
        return await _answer(route, msg.body, msg.headers)

    return respond


class CommandClient:
    """Sends commands and returns their result, or raises the refusal as `CommandRejected`."""

    def __init__(self, nc: NatsClient, naming: Naming, timeout: float = 10.0) -> None:
        self.nc = nc
        self.naming = naming
        self.timeout = timeout

    async def call(
        self,
        service: str,
        name: str,
        request: BaseModel | dict[str, Any],
        correlation_id: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        data = (
            request.model_dump_json().encode()
            if isinstance(request, BaseModel)
            else json.dumps(request).encode()
        )
        headers = {HEADER_CORRELATION_ID: str(correlation_id or uuid.uuid4())}
        subject = self.naming.command_subject(service, name)
        reply = await self._request(subject, data, headers)
        body = json.loads(reply.data)
        if not body["ok"]:
            error = body["error"]
            raise CommandRejected(
                error["code"],
                error["message"],
                message_zh=error["message_zh"],
                field=error["field"],
            )
        result: dict[str, Any] = body["result"]
        return result

    async def _request(self, subject: str, data: bytes, headers: dict[str, str]) -> Msg:
        # A service that is (re)starting has no subscription for a moment; a command is only
        # refused as unanswered once that moment has clearly passed.
        for delay in _NO_RESPONDER_RETRIES:
            try:
                return await self.nc.request(subject, data, timeout=self.timeout, headers=headers)
            except NoRespondersError:
                await asyncio.sleep(delay)
        return await self.nc.request(subject, data, timeout=self.timeout, headers=headers)
