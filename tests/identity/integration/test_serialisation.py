"""Commands on one phone or one party wait for each other, and see what the other committed."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import asyncpg
import pytest

from services.identity.adapters.providers import DevelopmentRealNameProvider, ProviderResult
from services.identity.application.login import Login
from services.identity.application.models import RequestLoginCode, SubmitIdentity
from services.identity.application.verification import Verification
from services.identity.domain.errors import Refusal
from shared.catalogue.identity import IdentityRejected
from shared.commands import CommandRejected
from shared.events import Envelope
from shared.store import Transaction
from tests.identity.integration.support import DIGEST, ID_NUMBER, LEGAL_NAME, Identity

PHONE = "13512345678"


class HeldSms:
    """An SMS gateway that holds each send until released, or fails it."""

    def __init__(self, fail: bool = False) -> None:
        self.sending, self.release, self.fail = asyncio.Event(), asyncio.Event(), fail

    async def send_code(self, phone: str, phone_index: str, code: str, purpose: str) -> None:
        self.sending.set()
        await self.release.wait()
        if self.fail:
            raise ConnectionError("the SMS gateway is down")


def login_with(identity: Identity, sms: HeldSms) -> Login:
    providers = dataclasses.replace(identity.ctx.providers, sms=sms)
    return Login(dataclasses.replace(identity.ctx, providers=providers))


async def waiting_for_a_lock(pool: asyncpg.Pool, schema: str) -> None:
    """Until a statement on the schema waits for a lock another transaction holds."""
    for _ in range(500):
        waiting = await pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND cardinality(pg_blocking_pids(pid)) > 0 AND query LIKE '%' || $1 || '.%'",
            schema,
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("nothing waits for a lock")


async def test_a_code_request_waits_for_one_being_sent_to_the_phone_and_counts_it(
    identity: Identity, pool: asyncpg.Pool
) -> None:
    sms = HeldSms()
    sending = login_with(identity, sms).request_code(RequestLoginCode(phone=PHONE))
    first = asyncio.create_task(sending)
    await sms.sending.wait()
    second = asyncio.create_task(identity.call("request_login_code", phone=PHONE))
    await waiting_for_a_lock(pool, identity.store.schema)
    sms.release.set()
    await first
    with pytest.raises(CommandRejected) as rejection:
        await second
    assert rejection.value.code == "code_rate_limited"
    assert len((await identity.call("dev_inbox", phone=PHONE))["messages"]) == 1


async def test_a_failed_send_leaves_no_code_and_costs_no_quota(identity: Identity) -> None:
    sms = HeldSms(fail=True)
    sms.release.set()
    with pytest.raises(ConnectionError):
        await login_with(identity, sms).request_code(RequestLoginCode(phone=PHONE))
    assert (await identity.call("dev_inbox", phone=PHONE))["messages"] == []
    with pytest.raises(CommandRejected) as rejection:
        await identity.call("verify_login_code", phone=PHONE, code="123456")
    assert rejection.value.code == "code_not_requested"
    await identity.call("request_login_code", phone=PHONE)  # not held by the minute's limit


async def ready_party(identity: Identity) -> uuid.UUID:
    party_id = await identity.verified_party(PHONE)
    await identity.face_check(party_id)
    return party_id


async def after_another_appends(
    identity: Identity, pool: asyncpg.Pool, party_id: uuid.UUID, command: str, /, **request: object
) -> dict[str, Any]:
    """Run `command` while another transaction holds the party's row, as a command on it does,
    and appends to its stream; commit that once the command waits for the lock."""
    schema = identity.store.schema
    version = len(await identity.events(party_id))
    event = Envelope.new(
        IdentityRejected(reason="real_name_mismatch"),
        stream_id=party_id,
        version=version + 1,
        correlation_id=uuid.uuid4(),
        actor="test",
    )
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            f"SELECT 1 FROM {schema}.parties WHERE party_id = $1 FOR UPDATE", party_id
        )
        await Transaction(conn, schema).append([event])
        waiting = asyncio.create_task(identity.call(command, **request))
        await waiting_for_a_lock(pool, schema)
    return await waiting


async def test_commands_on_one_party_wait_for_each_other_and_append_after(
    identity: Identity, pool: asyncpg.Pool
) -> None:
    party_id = await ready_party(identity)
    # Published beforehand, or the first ticket's publishing would wait for the holder instead.
    await identity.call("ticket_public_key")
    request = {
        "party_id": str(party_id),
        "note_id": str(uuid.uuid4()),
        "document_digest": DIGEST,
        "purpose": "sign",
    }
    issued = await after_another_appends(identity, pool, party_id, "issue_ticket", **request)
    ticket = issued["ticket"]
    profile = await identity.call("party_profile", party_id=str(party_id))
    request["identity_commitment"] = profile["commitment"]
    await after_another_appends(identity, pool, party_id, "redeem_ticket", ticket=ticket, **request)
    assert (await identity.event_types(party_id))[-4:] == [
        "IdentityRejected",
        "SigningTicketIssued",
        "IdentityRejected",
        "SigningTicketRedeemed",
    ]


class HeldRealName:
    """A real-name provider that accepts, once released."""

    def __init__(self) -> None:
        self.checking, self.release = asyncio.Event(), asyncio.Event()

    async def check(self, legal_name: str, id_number: str) -> ProviderResult:
        self.checking.set()
        await self.release.wait()
        return await DevelopmentRealNameProvider().check(legal_name, id_number)


async def test_an_id_number_verified_elsewhere_during_the_check_is_refused_and_not_recorded(
    identity: Identity,
) -> None:
    provider = HeldRealName()
    providers = dataclasses.replace(identity.ctx.providers, real_name=provider)
    held = Verification(dataclasses.replace(identity.ctx, providers=providers))
    party_id = uuid.UUID((await identity.login(PHONE))["party_id"])
    request = SubmitIdentity(party_id=party_id, legal_name=LEGAL_NAME, id_number=ID_NUMBER)
    submitting = asyncio.create_task(held.submit_identity(request))
    await provider.checking.wait()
    await identity.verified_party("13712345679")
    provider.release.set()
    with pytest.raises(Refusal) as refusal:
        await submitting
    assert refusal.value.code == "identity_in_use"
    assert await identity.event_types(party_id) == ["PartyRegistered"]
