"""The argument of the FastStream subscribers that only document a service's bus.

Commands (`shared.commands`) and consumers (`shared.bus.pulling`) run on nats-py; FastStream
keeps writing the AsyncAPI documents from subscribers wired on a broker that never starts. They
take a `Delivery`, never FastStream's injected message (which FastDepends resolved in a worker
thread, ~0.3 ms of CPU a message, when FastStream still ran them), and the documents show the
payload as FastStream wrote it for an injected message.
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
