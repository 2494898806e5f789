"""Login by SMS code, sessions by cookie and bearer, CSRF, rate limits, the error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import new_namespace
from tests.gateway.stack import Stack, new_id_number, new_phone, running_stack


@pytest.fixture(scope="module")
async def stack(servers: tuple[str, str]) -> AsyncIterator[Stack]:
    """Identity lets a phone ask for a code at once again (the SMS+card check follows login)."""
    database_url, nats_url = servers
    environment = {
        "JIETIAO_IDENTITY_CODE_MIN_INTERVAL_SECONDS": "0",
        "JIETIAO_IDENTITY_CODE_MAX_PER_HOUR": "50",
    }
    async with running_stack(
        database_url, nats_url, new_namespace(), environment, login_limit=5
    ) as running:
        yield running


ERROR_KEYS = {"code", "message", "message_zh", "field"}


async def test_a_code_logs_in_and_sets_a_secure_http_only_cookie(stack: Stack) -> None:
    client = stack.client()
    phone = new_phone()
    sent = await client.post("/api/v1/login/code", json={"phone": phone})
    assert sent.status_code == 200
    assert phone not in sent.text  # only masked
    code = await stack.inbox_code(phone)
    reply = await client.post("/api/v1/login/verify", json={"phone": phone, "code": code})
    assert reply.status_code == 200
    cookie = reply.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "secure" in cookie
    assert "samesite=lax" in cookie
    client.headers["X-CSRF-Token"] = reply.json()["csrf_token"]
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["party_id"] == reply.json()["party_id"]
    assert me.json()["verified"] is False


async def test_a_bearer_token_works_without_cookie_or_csrf(stack: Stack) -> None:
    login = await stack.login(stack.client())
    program = stack.client()
    headers = {"Authorization": f"Bearer {login['session_token']}"}
    assert (await program.get("/api/v1/me", headers=headers)).status_code == 200
    preview = await program.post(
        "/api/v1/identity", headers=headers, json={"legal_name": "张三", "id_number": "1"}
    )
    assert preview.status_code == 422  # reached identity: no CSRF needed for a bearer


async def test_a_cookie_request_that_changes_state_needs_the_csrf_token(stack: Stack) -> None:
    client = stack.client()
    await stack.login(client)
    del client.headers["X-CSRF-Token"]
    reply = await client.post("/api/v1/identity", json={"legal_name": "张三", "id_number": "x"})
    assert reply.status_code == 403
    assert reply.json()["code"] == "csrf_failed"
    wrong = await client.post(
        "/api/v1/identity",
        json={"legal_name": "张三", "id_number": "x"},
        headers={"X-CSRF-Token": "0" * 64},
    )
    assert wrong.status_code == 403


async def test_without_a_session_everything_private_is_401(stack: Stack) -> None:
    client = stack.client()
    for method, path in [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/notes"),
        ("POST", "/api/v1/identity"),
    ]:
        reply = await client.request(method, path, json={})
        assert reply.status_code == 401, path
        assert set(reply.json()) == ERROR_KEYS
    forged = await client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert forged.status_code == 401


async def test_wrong_code_is_401_and_malformed_input_names_the_field(stack: Stack) -> None:
    client = stack.client()
    phone = new_phone()
    await client.post("/api/v1/login/code", json={"phone": phone})
    wrong = await client.post("/api/v1/login/verify", json={"phone": phone, "code": "000000"})
    if wrong.status_code != 200:  # the one-in-a-million right guess
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "code_wrong"
        assert wrong.json()["message_zh"]
    bad_phone = await client.post("/api/v1/login/code", json={"phone": "12"})
    assert bad_phone.status_code == 422
    assert bad_phone.json()["field"] == "phone"
    missing = await client.post("/api/v1/login/code", json={})
    assert missing.status_code == 422
    assert missing.json()["field"] == "phone"
    broken = await client.post(
        "/api/v1/login/code", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert set(broken.json()) == ERROR_KEYS


async def test_login_is_rate_limited_per_address(stack: Stack) -> None:
    client = stack.client("192.0.2.77")
    statuses = [
        (await client.post("/api/v1/login/code", json={"phone": new_phone()})).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    limited = await client.post("/api/v1/login/code", json={"phone": new_phone()})
    assert limited.json()["code"] == "rate_limited"
    assert limited.headers["retry-after"]
    other = stack.client("192.0.2.78")
    assert (await other.post("/api/v1/login/code", json={"phone": new_phone()})).status_code == 200


async def test_logout_revokes_the_session(stack: Stack) -> None:
    client = stack.client()
    login = await stack.login(client)
    assert (await client.post("/api/v1/logout")).status_code == 204
    headers = {"Authorization": f"Bearer {login['session_token']}"}
    assert (await stack.client().get("/api/v1/me", headers=headers)).status_code == 401


async def test_unknown_paths_and_health(stack: Stack) -> None:
    client = stack.client()
    assert (await client.get("/healthz")).status_code == 200
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert set(missing.json()) == ERROR_KEYS
    metrics = await client.get("/metrics")
    assert "jietiao_gateway_responses_total" in metrics.text


async def test_identity_verification_is_rate_limited_per_party(stack: Stack) -> None:
    client = stack.client()
    await stack.login(client)
    limit = stack.app.state.gateway.settings.verify_limit
    wrong = {"legal_name": "张三", "id_number": "110105199003070010"}
    for _ in range(limit):
        reply = await client.post("/api/v1/identity", json=wrong)
        assert reply.status_code == 422
        assert reply.json()["field"] == "id_number"
    limited = await client.post("/api/v1/identity", json=wrong)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    face = await client.post("/api/v1/identity/face", json={"image_base64": "AAAA"})
    assert face.status_code == 429


def luhn_card(prefix: str = "622202000000000") -> str:
    digits = [int(d) for d in prefix]
    total = sum(
        d if i % 2 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits))
    )
    return prefix + str((10 - total % 10) % 10)


async def test_the_non_face_check_by_sms_code_and_bank_card(stack: Stack) -> None:
    client = stack.client()
    login = await stack.login(client)
    verified = await client.post(
        "/api/v1/identity", json={"legal_name": "张三", "id_number": new_id_number()}
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["masked_id"].count("*") >= 8
    sent = await client.post("/api/v1/identity/alternative/code")
    assert sent.status_code == 200, sent.text
    code = await stack.inbox_code(login["phone"], purpose="alternative")
    wrong_card = await client.post(
        "/api/v1/identity/alternative", json={"code": code, "bank_card_number": "1234"}
    )
    assert wrong_card.status_code == 422
    again = await client.post("/api/v1/identity/alternative/code")
    assert again.status_code == 200, again.text
    code = await stack.inbox_code(login["phone"], purpose="alternative")
    passed = await client.post(
        "/api/v1/identity/alternative", json={"code": code, "bank_card_number": luhn_card()}
    )
    assert passed.status_code == 200, passed.text
    assert passed.json()["method"] == "sms_bank_card"


async def test_the_log_checkpoint_is_public(stack: Stack) -> None:
    reply = await stack.client().get("/api/v1/checkpoint")
    assert reply.status_code in (200, 404)
    if reply.status_code == 200:
        assert reply.json()["log_keys"]
