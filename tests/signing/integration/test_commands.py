"""Signing's commands over real NATS request/reply: results, and refusals with code, field and
both languages, identity's ticket refusals passed through unchanged."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient

from services.signing.adapters.identity import NatsIdentity
from services.signing.app import register_commands
from services.signing.application.context import SigningContext
from shared.commands import CommandClient, CommandRejected, serve_commands
from shared.config import Settings
from shared.subjects import Naming
from tests.signing.integration.support import FakeIdentity, feed, sign_request
from tests.signing.support import Note


@pytest.fixture
async def client(
    settings: Settings, nc: NatsClient, ctx: SigningContext
) -> AsyncIterator[CommandClient]:
    naming = Naming(settings.namespace)
    broker = NatsBroker(settings.nats_url)
    register_commands(broker, naming, ctx)
    await broker.start()
    await serve_commands(broker)
    yield CommandClient(nc, naming)
    await broker.stop()


async def call(client: CommandClient, name: str, request: Any) -> dict[str, Any]:
    body = request.model_dump(mode="json") if hasattr(request, "model_dump") else request
    return await client.call("signing", name, body)


async def refused(client: CommandClient, name: str, request: Any) -> CommandRejected:
    with pytest.raises(CommandRejected) as refusal:
        await call(client, name, request)
    return refusal.value


async def test_sign_answers_with_the_signature_and_state_reads_it_back(
    client: CommandClient, ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    signed = await call(client, "sign", sign_request(identity, note, note.initiator))
    assert (signed["sequence"], signed["completed"], signed["status"]) == (1, False, "open")
    state = await call(client, "get_note_signing_state", {"note_id": str(note.note_id)})
    assert state["signed_by"] == [str(note.initiator)]
    assert state["next_signer"] == str(note.counterparty)
    signatures = await call(client, "get_signatures", {"note_id": str(note.note_id)})
    assert signatures["signatures"][0]["signature"] == signed["signature"]
    assert signatures["signatures"][0]["public_key"]


async def test_refusals_name_the_code_and_field_in_both_languages(
    client: CommandClient, ctx: SigningContext, identity: FakeIdentity
) -> None:
    note = Note()
    await feed(ctx, note.note_id, note.frozen())
    early = await refused(client, "sign", sign_request(identity, note, note.counterparty))
    assert (early.code, early.message_zh) == ("not_your_turn", "请等待发起人先签署")
    bad = sign_request(identity, note, note.initiator).model_dump(mode="json")
    bad["handwriting"]["strokes"] = [[[5, 5, 0]] * 12]
    dot = await refused(client, "sign", bad)
    assert (dot.code, dot.field) == ("handwriting_degenerate", "handwriting.strokes")
    bad["document_digest"] = "not hex"
    malformed = await refused(client, "sign", bad)
    assert (malformed.code, malformed.field) == ("invalid_request", "document_digest")
    identity.refuse_with = "ticket_expired"
    expired = await refused(client, "sign", sign_request(identity, note, note.initiator))
    assert (expired.code, expired.field) == ("ticket_expired", "ticket")
    stamp = await refused(client, "stamp", {"note_id": str(uuid.uuid4()), "format": "png"})
    assert stamp.code == "not_completed"


async def test_identity_not_answering_is_refused_as_unavailable(
    settings: Settings, nc: NatsClient
) -> None:
    identity = NatsIdentity(CommandClient(nc, Naming(settings.namespace), timeout=1.0))
    party, note, digest = uuid.uuid4(), uuid.uuid4(), "0" * 64
    with pytest.raises(CommandRejected) as refused:
        await identity.redeem_ticket("jt1.x", party, note, digest, "sign", digest)
    assert refused.value.code == "identity_unavailable"
