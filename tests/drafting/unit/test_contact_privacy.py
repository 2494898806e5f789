"""The counterparty contact: checked, sealed with AES-GCM, committed to without a key."""

from __future__ import annotations

import base64
import os
import uuid

import pytest
from cryptography.exceptions import InvalidTag

from services.drafting.adapters.vault import Contact, ContactVault
from services.drafting.domain.contact import masked_phone, normalised_contact
from services.drafting.domain.errors import InvalidTerms
from services.drafting.settings import DraftingSettings, MissingKeyError


@pytest.mark.parametrize(
    "phone", ["13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "138 0013 8000"]
)
def test_mainland_mobiles_in_any_usual_spelling_are_accepted(phone: str) -> None:
    assert normalised_contact("  李  四 ", phone) == ("李 四", "13800138000")


@pytest.mark.parametrize("phone", ["", "12800138000", "1380013800", "138001380000", "abc"])
def test_anything_else_is_not_a_phone(phone: str) -> None:
    with pytest.raises(InvalidTerms) as refused:
        normalised_contact("李四", phone)
    assert (refused.value.field, refused.value.rule) == ("counterparty.phone", "invalid_phone")


@pytest.mark.parametrize(("name", "rule"), [(" ", "required"), ("李" * 51, "too_long")])
def test_the_display_name_is_required_and_bounded(name: str, rule: str) -> None:
    with pytest.raises(InvalidTerms) as refused:
        normalised_contact(name, "13800138000")
    assert (refused.value.field, refused.value.rule) == ("counterparty.display_name", rule)
    assert normalised_contact("李" * 50, "13800138000")[0] == "李" * 50


def test_the_phone_is_shown_masked() -> None:
    assert masked_phone("13800138000") == "138****8000"


def test_a_sealed_contact_opens_only_on_its_own_row() -> None:
    vault = ContactVault(os.urandom(32), "k1")
    contact = Contact("李四", "13800138000", os.urandom(32))
    note_id = uuid.uuid4()
    sealed = vault.seal(note_id, "c1", contact)
    assert b"13800138000" not in sealed.ciphertext
    assert vault.open(note_id, "c1", sealed) == contact
    with pytest.raises(InvalidTag):
        vault.open(uuid.uuid4(), "c1", sealed)
    with pytest.raises(InvalidTag):
        vault.open(note_id, "c2", sealed)
    with pytest.raises(InvalidTag):
        ContactVault(os.urandom(32), "k1").open(note_id, "c1", sealed)


def test_production_needs_an_explicit_key() -> None:
    with pytest.raises(MissingKeyError):
        DraftingSettings(env="prod").contact_key()
    key = os.urandom(32)
    explicit = DraftingSettings(env="prod", key=base64.urlsafe_b64encode(key).decode())
    assert explicit.contact_key() == key
    assert len(DraftingSettings(env="dev").contact_key()) == 32
    with pytest.raises(ValueError, match="32 bytes"):
        DraftingSettings(key=base64.urlsafe_b64encode(b"short").decode()).contact_key()


def test_the_key_and_environment_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = os.urandom(32)
    monkeypatch.setenv("JIETIAO_ENV", "prod")
    monkeypatch.setenv("JIETIAO_DRAFTING_KEY", base64.urlsafe_b64encode(key).decode())
    monkeypatch.setenv("JIETIAO_DRAFTING_INVITATION_VALIDITY_DAYS", "3")
    settings = DraftingSettings()
    assert (settings.env, settings.contact_key(), settings.invitation_validity_days) == (
        "prod",
        key,
        3,
    )
