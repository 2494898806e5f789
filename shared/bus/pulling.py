"""The pull loops of a service's durable consumers: one per (consumer, source stream), on nats-py.

Each loop fetches a batch, hands its messages one by one to the consumer's `MessageProcessor`
(which commits, then acks) and fetches again. FastStream used to run these loops: its layers
around each message (context, middlewares, dependency injection) cost ~12 % of drafting's and
signing's CPU, more than the handler's own Python. What those layers gave is kept here: the
same metrics and trace spans (`around`, the runtime's telemetry), pull subscriptions that survive
a node failing over (`ResilientPull`), and a stop that loses nothing.

Stopping: the fetch in progress returns within the pull timeout and its batch is handled
(committed and acked); then the pull requests are withdrawn and what they had delivered is
handled too: nothing is left delivered but unhandled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from shared.bus.consumer import MessageProcessor, Settled, Subscribed, consumer_config
from shared.bus.recovery import ResilientPull, resilient_pull
from shared.logging import get_logger

log = get_logger(__name__)

# Around each message: the runtime's metrics and span; it is told how the message was settled.
Around = Callable[[Msg], AbstractContextManager[Callable[[Settled], None]]]


@contextlib.contextmanager
def _unobserved(msg: Msg) -> Iterator[Callable[[Settled], None]]:
    yield lambda settled: None


class PullConsumers:
    """Every pull loop of one service process."""

    def __init__(
        self, wired: list[Subscribed], around: Around | None = None, pull_timeout: float = 1.0
    ) -> None:
        self.wired = wired
        self.around = around or _unobserved
        self.pull_timeout = pull_timeout
        self.pulls: dict[str, ResilientPull] = {}  # by durable
        self._stopping = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []

    def durables(self) -> list[tuple[str, str]]:
        """(stream, durable) of every loop."""
        return [durable for wired in self.wired for durable in wired.durables()]

    async def start(self, nc: NatsClient) -> None:
        """Create (or find) every durable and start pulling: its messages are handled from now."""
        for wired in self.wired:
            for source in wired.consumer.sources:
                processor = MessageProcessor(wired.consumer, wired.store, source)
                durable = wired.naming.durable_name(wired.consumer.name, source)
                config = consumer_config(wired.consumer, durable)
                pull = await resilient_pull(nc, wired.naming, source, config)
                self.pulls[pull.durable] = pull
                self._loops.append(asyncio.create_task(self._run(pull, processor)))

    async def stop(self) -> None:
        """Handle what is fetched, fetch no more, and unsubscribe."""
        self._stopping.set()
        await asyncio.gather(*self._loops, return_exceptions=True)

    async def _run(self, pull: ResilientPull, processor: MessageProcessor) -> None:
        try:
            await self._pull(pull, processor)
        finally:
            for msg in await pull.close():
                await self._handle(msg, processor)

    async def _pull(self, pull: ResilientPull, processor: MessageProcessor) -> None:
        batch_size = processor.consumer.batch_size
        while not self._stopping.is_set():
            for msg in await pull.fetch(batch_size, timeout=self.pull_timeout):
                await self._handle(msg, processor)

    async def _handle(self, msg: Msg, processor: MessageProcessor) -> None:
        try:
            with self.around(msg) as settled:
                settled(await processor(msg))
        except Exception as error:  # its ack or nak lost with the connection: redelivered later
            log.warning("message not settled", consumer=processor.consumer.name, error=repr(error))
