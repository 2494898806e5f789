"""The metrics around each consumed event count how it was settled, under its durable."""

from __future__ import annotations

import pytest
from nats.aio.msg import Msg
from prometheus_client import generate_latest

from shared.observability import Telemetry


def _delivered(consumer: str) -> Msg:
    # A JetStream delivery: its reply subject names the stream, the durable and the sequences.
    reply = f"$JS.ACK.NS_DRAFTING.{consumer}.1.7.7.1764400000000000000.0"
    return Msg(_client=None, subject="ns.drafting.note.x.NoteDrafted", reply=reply, data=b"{}")  # type: ignore[arg-type]


def _processed(telemetry: Telemetry, handler: str, status: str) -> bool:
    text = generate_latest(telemetry.registry).decode()
    return (
        f'jietiao_received_processed_messages_total{{app_name="drafting",broker="nats",'
        f'handler="{handler}",status="{status}"}} 1.0'
    ) in text


def test_a_consumed_event_is_counted_as_it_was_settled() -> None:
    telemetry = Telemetry("drafting", "ns")
    with telemetry.message_scope(_delivered("locks-from-signing")) as settled:
        settled("nacked")
    assert _processed(telemetry, "locks-from-signing", "nacked")
    assert not _processed(telemetry, "locks-from-signing", "acked")


def test_a_failure_inside_the_scope_counts_as_an_error() -> None:
    telemetry = Telemetry("drafting", "ns")
    with pytest.raises(RuntimeError), telemetry.message_scope(_delivered("notes-from-drafting")):
        raise RuntimeError("lost connection")
    assert _processed(telemetry, "notes-from-drafting", "error")
