"""A delivered NATS message handed to a FastStream handler as its argument, not injected.

FastStream injects `faststream.nats.annotations.NatsMessage` through its context, and FastDepends
resolves that context field synchronously in a worker thread: a thread hop and a task group for
every command and every event, ~0.3 ms of CPU each, a quarter of what a service spends per
lifecycle. Subscribers given `decoder=as_delivery` instead receive the message wrapped in a
`Delivery` as their one argument, checked by `isinstance` and nothing else.
"""

from __future__ import annotations

from typing import Any

from faststream.nats.message import NatsMessage
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema


class Delivery:
    """One delivered message: `message` is FastStream's, with its body, headers, ack and nack."""

    __slots__ = ("message",)

    def __init__(self, message: NatsMessage) -> None:
        self.message = message

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # The ref makes FastStream's AsyncAPI take this definition as the whole payload.
        return core_schema.is_instance_schema(cls, ref="EmptyPayload")

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # What FastStream writes for a handler whose message is injected: the AsyncAPI documents
        # stay as they were.
        return {"title": "EmptyPayload", "type": "null"}


async def as_delivery(message: NatsMessage) -> Delivery:
    """FastStream decoder: the message itself, for a handler taking one `Delivery`."""
    return Delivery(message)
