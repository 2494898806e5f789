"""A whole IOU over NATS with the real drafting, identity and signing services, each running as
it does in production (its own pool, relay, consumers and commands), in this test's namespace:
draft → invite → the counterparty joins, verified → the initiator signs → the counterparty
signs → NoteCompleted; then the two Ed25519 signatures verify from the published keys and the
events alone, and a changed byte of the terms, of a handwriting hash or the order does not."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import nats.errors
import pytest
from nats.aio.client import Client as NatsClient
from PIL import Image

from services.signing.domain.verification import verify_note
from shared.catalogue.drafting import NoteFrozenForSigning
from shared.catalogue.signing import PartySigned
from shared.commands import CommandClient, CommandRejected
from shared.config import Settings
from shared.events import Envelope
from shared.runtime import ServiceProcess, load_service
from shared.store import EventStore
from shared.subjects import Naming
from tests.shared.bus_support import eventually
from tests.signing.support import handwriting_input

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: date, sequence: int) -> str:
    """A GB 11643 number with a valid check character (Beijing Chaoyang, `sequence`)."""
    body = f"110105{birth:%Y%m%d}{sequence:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def face_png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (320, 480), (210, 160, 130)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


@contextlib.asynccontextmanager
async def services(settings: Settings, *names: str) -> AsyncIterator[None]:
    processes = [ServiceProcess(load_service(name), settings) for name in names]
    tasks = [asyncio.create_task(p.run()) for p in processes]
    try:
        yield
    finally:
        for process in processes:
            process.stopping.set()
        await asyncio.gather(*tasks)


async def answers(client: CommandClient, service: str, command: str) -> bool:
    try:
        await client.call(service, command, {"note_id": str(uuid.uuid4())})
    except nats.errors.NoRespondersError:
        return False
    except CommandRejected:
        pass  # a refusal is an answer too
    return True


async def answering(client: CommandClient, service: str, command: str) -> None:
    for _ in range(100):
        if await answers(client, service, command):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{service} does not answer")


class Person:
    def __init__(self, client: CommandClient, phone: str, name: str, birth: date, seq: int):
        self.client, self.phone, self.name = client, phone, name
        self.id_number = id_number(birth, seq)
        self.party_id = ""

    async def identity(self, command: str, **request: Any) -> dict[str, Any]:
        return await self.client.call("identity", command, request)

    async def verify(self) -> None:
        await self.identity("request_login_code", phone=self.phone)
        inbox = await self.identity("dev_inbox", phone=self.phone)
        code = next(m["code"] for m in inbox["messages"] if m["purpose"] == "login")
        login = await self.identity("verify_login_code", phone=self.phone, code=code)
        self.party_id = login["party_id"]
        await self.identity(
            "submit_identity",
            party_id=self.party_id,
            legal_name=self.name,
            id_number=self.id_number,
        )

    async def ticket(self, note_id: str, digest: str, purpose: str = "sign") -> str:
        await self.identity("verify_face", party_id=self.party_id, image_base64=face_png())
        issued = await self.identity(
            "issue_ticket",
            party_id=self.party_id,
            note_id=note_id,
            document_digest=digest,
            purpose=purpose,
        )
        return str(issued["ticket"])

    async def void(self, command: str, note_id: str, final_digest: str, **more: Any) -> Any:
        request = {
            "note_id": note_id,
            "party_id": self.party_id,
            "ticket": await self.ticket(note_id, final_digest, "void"),
            "intent_confirmed": True,
            "handwriting": handwriting_input(),
            **more,
        }
        return await self.client.call("signing", command, request)

    async def sign(self, note_id: str, digest: str) -> dict[str, Any]:
        request = {
            "note_id": note_id,
            "party_id": self.party_id,
            "document_digest": digest,
            "ticket": await self.ticket(note_id, digest),
            "intent_confirmed": True,
            "handwriting": handwriting_input(),
        }
        return await self.client.call("signing", "sign", request)


def iou(start: date) -> dict[str, Any]:
    return {
        "template": "iou",
        "initiator_role": "lender",
        "principal": "20000.00",
        "purpose": "装修",
        "start_date": start.isoformat(),
        "due_date": (start + timedelta(days=365)).isoformat(),
        "annual_rate_percent": "6",
        "repayment_method": "bullet",
        "delivery_method": "bank_transfer",
    }


@pytest.fixture
async def client(settings: Settings, nc: NatsClient) -> AsyncIterator[CommandClient]:
    async with services(settings, "identity", "drafting", "signing"):
        commands = CommandClient(nc, Naming(settings.namespace))
        await answering(commands, "signing", "get_note_signing_state")
        await answering(commands, "drafting", "get_note")
        yield commands


async def test_a_whole_iou_with_the_real_services_completes_and_verifies(
    client: CommandClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    lender = Person(client, "13800001111", "张三", date(1990, 5, 1), 13)
    borrower = Person(client, "13900002222", "王五", date(1995, 8, 8), 24)
    await lender.verify()
    await borrower.verify()

    draft = await client.call(
        "drafting",
        "draft_note",
        {
            "actor_party_id": lender.party_id,
            "accepted_disclaimer_version": "2026-01",
            "counterparty": {"display_name": "王五", "phone": borrower.phone},
            "terms": iou(date.today() + timedelta(days=1)),
        },
    )
    note_id = draft["note_id"]
    own = {"note_id": note_id, "actor_party_id": lender.party_id}
    token = (await client.call("drafting", "invite_counterparty", own))["token"]
    await client.call(
        "drafting", "accept_invitation", {"token": token, "party_id": borrower.party_id}
    )
    frozen = await client.call("drafting", "submit_for_signing", own)
    digest = frozen["document_digest"]

    async def state() -> dict[str, Any]:
        return await client.call("signing", "get_note_signing_state", {"note_id": note_id})

    async def is_open() -> bool:
        return bool((await state())["status"] == "open")

    await eventually(is_open, within=20)
    with pytest.raises(CommandRejected) as refused:
        await borrower.sign(note_id, digest)
    assert refused.value.code == "not_your_turn"

    first = await lender.sign(note_id, digest)
    assert (first["sequence"], first["completed"]) == (1, False)
    drafting_store = EventStore(pool, settings.schema_for("drafting"))

    async def locked() -> bool:
        return any(
            e.event_type == "NoteTermsLocked"
            for e in await drafting_store.read_stream(uuid.UUID(note_id))
        )

    await eventually(locked, within=20)
    await borrower.sign(note_id, digest)

    async def is_completed() -> bool:
        return bool((await state())["status"] == "completed")

    await eventually(is_completed, within=20)
    final = await state()
    assert final["signed_by"] == [lender.party_id, borrower.party_id]
    stamp = await client.call("signing", "stamp", {"note_id": note_id, "format": "svg"})
    assert "已完成签署" in base64.b64decode(stamp["content_base64"]).decode()
    assert stamp["final_digest"] == final["final_digest"]

    events = await published(pool, settings, note_id, lender.party_id, borrower.party_id)
    verdict = verify_note(events)
    assert verdict.valid, verdict.problems
    assert [str(p) for p in verdict.signers] == [lender.party_id, borrower.party_id]
    for tampered in (changed_terms(events), changed_handwriting(events), swapped_order(events)):
        assert not verify_note(tampered).valid

    # Voiding needs both: the borrower asks, the lender countersigns, each with a void ticket.
    asked = await borrower.void(
        "request_void", note_id, final["final_digest"], reason_code="settled"
    )
    with pytest.raises(CommandRejected) as refused:
        await borrower.void("sign_void", note_id, final["final_digest"], void_id=asked["void_id"])
    assert refused.value.code == "void_own_request"
    voided = await lender.void(
        "sign_void", note_id, final["final_digest"], void_id=asked["void_id"]
    )
    assert voided["status"] == "voided"
    verdict = verify_note(
        await published(pool, settings, note_id, lender.party_id, borrower.party_id)
    )
    assert verdict.valid, verdict.problems
    assert verdict.voided


async def published(
    pool: asyncpg.Pool, settings: Settings, note_id: str, *parties: str
) -> list[Envelope]:
    """What a verifier gets: drafting's frozen document, signing's note stream, the keys."""
    drafting = EventStore(pool, settings.schema_for("drafting"))
    signing = EventStore(pool, settings.schema_for("signing"))
    frozen = [
        e
        for e in await drafting.read_stream(uuid.UUID(note_id))
        if isinstance(e.payload, NoteFrozenForSigning)
    ]
    keys = [e for p in parties for e in await signing.read_stream(uuid.UUID(p))]
    return [*keys, *frozen, *await signing.read_stream(uuid.UUID(note_id))]


def changed_terms(events: list[Envelope]) -> list[Envelope]:
    i = next(i for i, e in enumerate(events) if isinstance(e.payload, NoteFrozenForSigning))
    frozen = events[i].payload
    assert isinstance(frozen, NoteFrozenForSigning)
    document = copy.deepcopy(frozen.document)
    terms = document["terms"]
    assert isinstance(terms, dict)
    terms["principal"] = "20001.00"
    return _replace(events, i, frozen.model_copy(update={"document": document}))


def changed_handwriting(events: list[Envelope]) -> list[Envelope]:
    i = next(i for i, e in enumerate(events) if isinstance(e.payload, PartySigned))
    signed = events[i].payload
    assert isinstance(signed, PartySigned)
    digest = signed.handwriting.digest
    flipped = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    ref = signed.handwriting.model_copy(update={"digest": flipped})
    return _replace(events, i, signed.model_copy(update={"handwriting": ref}))


def swapped_order(events: list[Envelope]) -> list[Envelope]:
    first, second = (i for i, e in enumerate(events) if isinstance(e.payload, PartySigned))
    swapped = list(events)
    swapped[first], swapped[second] = events[second], events[first]
    return swapped


def _replace(events: list[Envelope], index: int, payload: Any) -> list[Envelope]:
    changed = list(events)
    changed[index] = events[index].model_copy(update={"payload": payload})
    return changed
