"""The vault's cryptography, key rotation, the keys from settings, and session tokens."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import SecretStr

from services.identity.adapters.vault import StaticKeyring, Vault
from services.identity.domain.errors import Refusal
from services.identity.domain.session_tokens import SessionClaims, decode_session, encode_session
from services.identity.settings import IdentitySettings, MissingKeysError, load_keys

OLD, NEW = os.urandom(32), os.urandom(32)
HMAC_KEY = os.urandom(32)


def test_sealed_values_open_only_in_their_own_context() -> None:
    vault = Vault(StaticKeyring({"k1": OLD}), HMAC_KEY)
    kid, sealed = vault.seal("11010519491231002X", "identities.id_number|p1")
    assert b"11010519491231002X" not in sealed
    assert vault.open(kid, sealed, "identities.id_number|p1") == "11010519491231002X"
    with pytest.raises(InvalidTag):
        vault.open(kid, sealed, "identities.id_number|p2")


def test_records_under_a_retired_key_stay_readable() -> None:
    before = Vault(StaticKeyring({"k1": OLD}), HMAC_KEY)
    kid, sealed = before.seal("张三", "ctx")
    after = Vault(StaticKeyring({"k2": NEW, "k1": OLD}), HMAC_KEY)
    assert after.open(kid, sealed, "ctx") == "张三"
    assert after.seal("张三", "ctx")[0] == "k2"


def test_blind_indexes_are_keyed_and_separate_kinds() -> None:
    vault = Vault(StaticKeyring({"k1": OLD}), HMAC_KEY)
    other = Vault(StaticKeyring({"k1": OLD}), os.urandom(32))
    assert vault.blind_index("phone", "13812345678") == vault.blind_index("phone", "13812345678")
    assert vault.blind_index("phone", "13812345678") != other.blind_index("phone", "13812345678")
    assert vault.blind_index("phone", "1") != vault.blind_index("id_number", "1")
    assert vault.commitment("11010519491231002x", "张三") == vault.commitment(
        "11010519491231002X", "张三"
    )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_keys_come_from_settings_the_first_vault_key_active() -> None:
    settings = IdentitySettings(
        keys=SecretStr(f"k2:{_b64(NEW)},k1:{_b64(OLD)}"),
        hmac_key=SecretStr(_b64(HMAC_KEY)),
        ticket_key=SecretStr(f"t1:{_b64(os.urandom(32))}"),
    )
    keys = load_keys(settings, "prod")
    assert (keys.active_kid, keys.vault_keys["k1"], keys.ticket_kid) == ("k2", OLD, "t1")


def test_production_refuses_to_start_without_keys() -> None:
    with pytest.raises(MissingKeysError, match="JIETIAO_IDENTITY_KEYS"):
        load_keys(IdentitySettings(hmac_key=SecretStr(_b64(HMAC_KEY))), "prod")
    assert load_keys(IdentitySettings(), "dev").active_kid == "dev-1"


@pytest.mark.parametrize("keys", ["k1", "k1:short", f"k1:{_b64(OLD)},k1:{_b64(NEW)}"])
def test_a_malformed_keyring_is_refused(keys: str) -> None:
    with pytest.raises(ValueError, match=r"kid|bytes|base64"):
        load_keys(IdentitySettings(keys=SecretStr(keys)), "dev")


NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_session_tokens_are_signed_and_expire() -> None:
    key = os.urandom(32)
    claims = SessionClaims(uuid.uuid4(), uuid.uuid4(), NOW + timedelta(hours=1))
    token = encode_session(claims, key)
    assert decode_session(token, key, NOW) == claims
    cases = [
        (token, os.urandom(32), NOW, "session_invalid"),
        (token[:-3] + "AAA", key, NOW, "session_invalid"),
        ("s1.e30.AAAA", key, NOW, "session_invalid"),
        (token, key, NOW + timedelta(hours=1), "session_expired"),
    ]
    for text, with_key, at, code in cases:
        with pytest.raises(Refusal) as refused:
            decode_session(text, with_key, at)
        assert refused.value.code == code
