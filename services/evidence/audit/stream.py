"""Reading a whole JetStream stream with as few Python steps per message as nats-py allows.

nats-py turns every delivered message into a `Msg` after parsing its header block in Python, and
its `fetch` awaits each message from a queue: most of an audit's reading time went there, for
messages whose headers the audit never looks at (the body names its event). `StreamClient` hands
the messages of one inbox to a plain function as the protocol parser cut them, and
`read_stream` pulls the stream into that inbox in large batches through an ephemeral consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import api
from nats.js.errors import NotFoundError

from shared.subjects import Naming

BATCH = 10_000
# Bytes one pull may bring, whatever its messages weigh: the server cuts off a client with more
# than 64 MiB waiting for it (a slow consumer) while this process is busy parsing. A pull stopped
# by it ends with this 409 status before the first message that would not fit.
PULL_BYTES = 16 * 1024 * 1024
_PULL_BYTES_SPENT = b"Message Size Exceeds MaxBytes"
# Servers from 2.10 on also follow a pull with max_bytes that got all its messages with a 409 of
# this wording: no news after the count, and it may come once the next pull has begun.
_BATCH_COMPLETED = b"Batch Completed"
EXPIRES_SECONDS = 2.0  # a batch cut short by the stream's end ends this long after its last
# Status codes a pull request ends with when the stream has nothing more (for now).
_NOTHING_MORE = (b"404", b"408")
# A consumer just created in a cluster answers once its leader's interest has reached the server
# this client is on (again after its leader moves, a node having failed): until then a pull finds
# no responder. How long to keep asking before that is an error.
_NO_RESPONDER = b"503"
SETTLE_SECONDS = 10.0
RETRY_SECONDS = 0.1

RawSink = Callable[[bytes, bytes, bytes | None], None]  # reply, payload, raw header block


class StreamReadError(RuntimeError):
    """The server ended a pull request with a status other than "nothing more"."""


class StreamClient(NatsClient):
    """A nats-py client that can deliver an inbox's messages raw (see `raw_inbox`).

    It overrides nats-py's one entry point from the protocol parser to the subscriptions; every
    other message takes nats-py's own path. The audit's tests read streams through it, so a
    nats-py release that changes that entry point fails them rather than the audit in use.
    """

    def __init__(self) -> None:
        super().__init__()
        self._raw_sinks: dict[int, RawSink] = {}  # by subscription id

    async def _process_msg(
        self, sid: int, subject: bytes, reply: bytes, data: bytes, headers: bytes | None
    ) -> None:
        # By subscription, not subject: JetStream delivers under each message's own subject.
        sink = self._raw_sinks.get(sid)
        if sink is None:
            await super()._process_msg(sid, subject, reply, data, headers)  # type: ignore[arg-type]
        else:
            sink(reply, data, headers)

    @contextlib.asynccontextmanager
    async def raw_inbox(self, sink: RawSink) -> AsyncIterator[str]:
        """A new inbox whose messages go to `sink` (reply, payload, raw headers), in order."""
        inbox = self.new_inbox()
        sub = await self.subscribe(inbox)
        self._raw_sinks[sub._id] = sink  # nothing can arrive before the pull request is sent
        try:
            yield inbox
        finally:
            self._raw_sinks.pop(sub._id, None)
            with contextlib.suppress(Exception):
                await sub.unsubscribe()


@dataclass
class _Pull:
    """One pull request's progress, fed by the raw sink."""

    bodies: list[bytes]
    wanted: int = 0
    received: int = 0
    last_reply: bytes = b""
    status: bytes | None = None
    description: bytes = b""
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self, wanted: int) -> None:
        self.wanted, self.received, self.status, self.description = wanted, 0, None, b""
        self.done.clear()

    def __call__(self, reply: bytes, data: bytes, headers: bytes | None) -> None:
        # A stream message always carries its $JS.ACK reply subject (even with AckPolicy NONE);
        # the server's own status messages (end of a request) carry none.
        if reply:
            self.bodies.append(data)
            self.received += 1
            self.last_reply = reply
            if self.received >= self.wanted:
                self.done.set()
        else:
            status, description = status_line(headers)
            if description == _BATCH_COMPLETED:
                return
            self.status, self.description = status, description
            self.done.set()


def status_code(headers: bytes | None) -> bytes:
    """`NATS/1.0 408 Request Timeout\\r\\n...` -> b"408" (b"" if there is no status line)."""
    return status_line(headers)[0]


def status_line(headers: bytes | None) -> tuple[bytes, bytes]:
    """`NATS/1.0 408 Request Timeout\\r\\n...` -> (b"408", b"Request Timeout")."""
    line = (headers or b"").split(b"\r\n", 1)[0]
    parts = line.split(None, 2)
    if len(parts) < 2 or parts[0] != b"NATS/1.0":
        return b"", b""
    return parts[1], parts[2] if len(parts) > 2 else b""


def stream_sequence(reply: bytes) -> int:
    """The stream sequence a $JS.ACK reply subject carries (both of its token layouts)."""
    return int(Msg(None, reply=reply.decode()).metadata.sequence.stream)  # type: ignore[arg-type]


async def read_stream(nc: StreamClient, naming: Naming, service: str) -> list[bytes]:
    """Every message of a service's stream, in stream order, up to its last message as of the
    start, through an ephemeral consumer without acks."""
    js = nc.jetstream()
    stream = naming.stream_name(service)
    try:
        last = (await js.stream_info(stream)).state.last_seq
    except NotFoundError:
        return []
    if not last:
        return []
    consumer = await js.add_consumer(
        stream,
        config=api.ConsumerConfig(
            ack_policy=api.AckPolicy.NONE,
            deliver_policy=api.DeliverPolicy.ALL,
            filter_subject=naming.service_events(service),
            inactive_threshold=60,
        ),
    )
    pull = _Pull(bodies=[])
    try:
        async with nc.raw_inbox(pull) as inbox:
            await _pull_until(
                nc, f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer.name}", inbox, pull, last
            )
    finally:
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, consumer.name)
    return pull.bodies


async def _pull_until(nc: NatsClient, api_subject: str, inbox: str, pull: _Pull, last: int) -> None:
    seq = 0
    loop = asyncio.get_running_loop()
    settled_by = loop.time() + SETTLE_SECONDS
    while seq < last:
        # No more than the stream holds up to `last` (its sequences have no gaps: deletes are
        # denied), so that the last batch is full and ends without waiting for its expiry.
        wanted = min(BATCH, last - seq)
        request = {
            "batch": wanted,
            "max_bytes": PULL_BYTES,
            "expires": int(EXPIRES_SECONDS * 1e9),
        }
        pull.start(wanted)
        await nc.publish(api_subject, json.dumps(request).encode(), reply=inbox)
        settling = seq == 0 and loop.time() < settled_by
        if not await _answered(pull, settling):
            await asyncio.sleep(RETRY_SECONDS)  # nothing came: the same request again
            continue
        if pull.received:
            seq = stream_sequence(pull.last_reply)
        if pull.status is not None:
            if pull.status in _NOTHING_MORE:
                return
            if pull.description == _PULL_BYTES_SPENT and pull.received:
                continue  # the pull's bytes are spent: the next one goes on from here
            if pull.status == _NO_RESPONDER and not pull.received and loop.time() < settled_by:
                await asyncio.sleep(RETRY_SECONDS)  # nothing came: the same request again
                continue
            status = f"{pull.status.decode()} {pull.description.decode()}".strip()
            raise StreamReadError(f"pull request ended with status {status}")


async def _answered(pull: _Pull, settling: bool) -> bool:
    """Whether the server answered the pull just sent (else it must be sent again). It answers
    within the request's expiry; more than that is a lost connection. While the consumer may
    still be settling (the first pull), silence past the expiry is the consumer not yet serving:
    a request sent while it was being created was seen answered by nothing at all."""
    try:
        await asyncio.wait_for(pull.done.wait(), EXPIRES_SECONDS + (1 if settling else 10))
    except TimeoutError:
        if not settling or pull.received:
            if settling:  # slow, not silent: wait as long as for any other pull
                await asyncio.wait_for(pull.done.wait(), 9)
                return True
            raise
        return False
    return True
