"""Login by SMS code over real NATS and PostgreSQL: each failure its own clear error."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from services.identity.application.login import Login
from services.identity.application.models import DevInboxRequest
from services.identity.domain.errors import Refusal
from shared.commands import CommandRejected
from tests.identity.integration.support import Identity

PHONE = "13912345678"


async def refused(identity: Identity, command: str, /, **request: object) -> CommandRejected:
    with pytest.raises(CommandRejected) as rejection:
        await identity.call(command, **request)
    return rejection.value


async def test_first_login_registers_a_party_and_opens_a_session(identity: Identity) -> None:
    sent = await identity.call("request_login_code", phone="+86 139 1234 5678")
    assert sent["sent_to"] == "139****5678"
    first = await identity.call(
        "verify_login_code", phone=PHONE, code=await identity.last_code(PHONE)
    )
    assert first["new_party"] is True
    party_id = uuid.UUID(first["party_id"])
    assert await identity.event_types(party_id) == ["PartyRegistered"]
    resolved = await identity.call("resolve_session", session_token=first["session_token"])
    assert resolved["party_id"] == first["party_id"]

    identity.clock.advance(61)
    again = await identity.login(PHONE)
    assert (again["party_id"], again["new_party"]) == (first["party_id"], False)
    assert await identity.event_types(party_id) == ["PartyRegistered"]


async def test_a_revoked_or_expired_session_is_refused(identity: Identity) -> None:
    token = (await identity.login(PHONE))["session_token"]
    assert await identity.call("revoke_session", session_token=token) == {"revoked": True}
    assert (await refused(identity, "resolve_session", session_token=token)).code == (
        "session_revoked"
    )
    identity.clock.advance(61)
    token = (await identity.login(PHONE))["session_token"]
    identity.clock.advance(identity.ctx.settings.session_ttl_seconds)
    assert (await refused(identity, "resolve_session", session_token=token)).code == (
        "session_expired"
    )
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert (await refused(identity, "resolve_session", session_token=forged)).code == (
        "session_invalid"
    )


async def test_a_wrong_code_says_how_many_attempts_are_left(identity: Identity) -> None:
    await identity.call("request_login_code", phone=PHONE)
    code = await identity.last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    rejection = await refused(identity, "verify_login_code", phone=PHONE, code=wrong)
    assert (rejection.code, rejection.field) == ("code_wrong", "code")
    assert "4" in rejection.message
    assert "4" in rejection.message_zh
    assert (await identity.call("verify_login_code", phone=PHONE, code=code))["new_party"]
    # A used code cannot log in a second time.
    rejection = await refused(identity, "verify_login_code", phone=PHONE, code=code)
    assert rejection.code == "code_not_requested"


async def test_an_expired_code_is_refused(identity: Identity) -> None:
    await identity.call("request_login_code", phone=PHONE)
    code = await identity.last_code(PHONE)
    identity.clock.advance(300)
    rejection = await refused(identity, "verify_login_code", phone=PHONE, code=code)
    assert rejection.code == "code_expired"


async def test_too_many_wrong_attempts_burn_the_code(identity: Identity) -> None:
    await identity.call("request_login_code", phone=PHONE)
    code = await identity.last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert (await refused(identity, "verify_login_code", phone=PHONE, code=wrong)).code == (
            "code_wrong"
        )
    rejection = await refused(identity, "verify_login_code", phone=PHONE, code=code)
    assert rejection.code == "code_too_many_attempts"


async def test_codes_are_rate_limited_per_phone(identity: Identity) -> None:
    await identity.call("request_login_code", phone=PHONE)
    rejection = await refused(identity, "request_login_code", phone=PHONE)
    assert (rejection.code, rejection.field) == ("code_rate_limited", "phone")
    await identity.call("request_login_code", phone="13912345679")  # another phone is not held
    for _ in range(4):
        identity.clock.advance(61)
        await identity.call("request_login_code", phone=PHONE)
    identity.clock.advance(61)
    assert (await refused(identity, "request_login_code", phone=PHONE)).code == (
        "code_rate_limited"
    )
    inbox = await identity.call("dev_inbox", phone=PHONE)
    assert len(inbox["messages"]) == 5


async def test_verifying_without_a_code_or_with_bad_input_is_refused(identity: Identity) -> None:
    assert (await refused(identity, "verify_login_code", phone=PHONE, code="123456")).code == (
        "code_not_requested"
    )
    rejection = await refused(identity, "verify_login_code", phone=PHONE, code="12ab")
    assert (rejection.code, rejection.field) == ("code_format", "code")
    rejection = await refused(identity, "request_login_code", phone="12345")
    assert (rejection.code, rejection.field) == ("phone_invalid", "phone")
    assert await identity.store.last_position() == 0


async def test_the_dev_inbox_is_closed_in_production(identity: Identity) -> None:
    login = Login(dataclasses.replace(identity.ctx, env="prod"))
    with pytest.raises(Refusal) as refusal:
        await login.dev_inbox(DevInboxRequest(phone=PHONE))
    assert refusal.value.code == "not_available"
