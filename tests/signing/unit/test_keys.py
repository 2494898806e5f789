"""Private keys sealed with AES-GCM, usable only under the owner's authorisation; the vault
keys come from settings, with a development default only outside production."""

from __future__ import annotations

import base64
import dataclasses
import uuid

import pytest
from cryptography.exceptions import InvalidTag

from services.signing.adapters.vault import Vault
from services.signing.domain.keys import (
    Authorisation,
    KeyUseRefused,
    new_sealed_key,
    public_key,
    sign_with,
    unb64,
)
from services.signing.settings import (
    DEVELOPMENT_KID,
    MissingKeysError,
    SigningSettings,
    parse_keyring,
    vault_keys,
)

VAULT = {"k1": bytes(range(32))}


def test_a_sealed_key_signs_for_its_owner_and_verifies_with_its_public_half() -> None:
    party = uuid.uuid4()
    sealed = new_sealed_key(party, "k1", VAULT["k1"])
    assert sealed.ciphertext.find(sealed.public_key) == -1
    signature = sign_with(sealed, Authorisation(party, uuid.uuid4(), "face"), b"m", VAULT, "f")
    public_key(sealed.public_key).verify(unb64(signature.value), b"m")
    assert signature.key_id == sealed.key_id


def test_a_key_refuses_to_sign_under_another_party_s_authorisation() -> None:
    sealed = new_sealed_key(uuid.uuid4(), "k1", VAULT["k1"])
    with pytest.raises(KeyUseRefused):
        sign_with(sealed, Authorisation(uuid.uuid4(), uuid.uuid4(), "face"), b"m", VAULT, "f")


def test_a_sealed_key_moved_to_another_party_does_not_decrypt() -> None:
    sealed = new_sealed_key(uuid.uuid4(), "k1", VAULT["k1"])
    thief = uuid.uuid4()
    moved = dataclasses.replace(sealed, party_id=thief)
    with pytest.raises(InvalidTag):
        sign_with(moved, Authorisation(thief, uuid.uuid4(), "face"), b"m", VAULT, "f")


def test_the_keyring_is_kid_colon_base64_and_the_first_key_is_active() -> None:
    a, b = base64.b64encode(b"a" * 32).decode(), base64.b64encode(b"b" * 32).decode()
    keys = parse_keyring(f"new:{a}, old:{b}")
    assert list(keys) == ["new", "old"]
    assert Vault(keys).active_kid == "new"
    for bad in (f"x{a}", f"k:{base64.b64encode(b'short').decode()}", "k:***", f"k:{a},k:{b}"):
        with pytest.raises(ValueError, match=r"JIETIAO_SIGNING_KEYS|signing vault key"):
            parse_keyring(bad)


def test_settings_read_the_environment_and_production_refuses_the_development_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JIETIAO_SIGNING_KEYS", raising=False)
    monkeypatch.setenv("JIETIAO_SIGNING_VOID_TTL_DAYS", "7")
    settings = SigningSettings()
    assert settings.void_ttl.days == 7
    assert list(vault_keys(settings, "dev")) == [DEVELOPMENT_KID]
    with pytest.raises(MissingKeysError):
        vault_keys(settings, "prod")
    monkeypatch.setenv("JIETIAO_SIGNING_KEYS", "p1:" + base64.b64encode(b"p" * 32).decode())
    assert vault_keys(SigningSettings(), "prod") == {"p1": b"p" * 32}


def test_an_older_vault_key_still_opens_what_it_sealed() -> None:
    old = Vault({"old": b"o" * 32})
    sealed = old.seal(b"secret", b"aad")
    rotated = Vault({"new": b"n" * 32, "old": b"o" * 32})
    assert rotated.open(sealed, b"aad") == b"secret"
    with pytest.raises(InvalidTag):
        rotated.open(sealed, b"other aad")
