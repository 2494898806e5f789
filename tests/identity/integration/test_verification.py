"""Real-name check, age gate, profile, name match, face and non-face checks, over the bus."""

from __future__ import annotations

import uuid
from dataclasses import replace

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from services.identity.adapters.providers import ProviderResult
from services.identity.app import development_providers
from shared.commands import CommandRejected
from shared.config import Settings
from tests.identity.integration.support import (
    BANK_CARD,
    ID_NUMBER,
    LEGAL_NAME,
    Identity,
    png_base64,
    running_identity,
)

PHONE = "13712345678"


async def refused(identity: Identity, command: str, /, **request: object) -> CommandRejected:
    with pytest.raises(CommandRejected) as rejection:
        await identity.call(command, **request)
    return rejection.value


async def test_a_verified_party_shows_only_its_mask_and_commitment(identity: Identity) -> None:
    party_id = str((await identity.login(PHONE))["party_id"])
    accepted = await identity.call(
        "submit_identity",
        party_id=party_id,
        legal_name=" 欧阳娜娜 ",
        id_number="11010519491231002x",
    )
    assert accepted["masked_id"] == "1101**********002X"
    assert accepted["provider_kind"] == "development"
    profile = await identity.call("party_profile", party_id=party_id)
    assert profile == {
        "party_id": party_id,
        "verified": True,
        "masked_id": "1101**********002X",
        "commitment": accepted["commitment"],
        "age": None,
        "name_matches": None,
    }
    verified = (await identity.events(uuid.UUID(party_id)))[-1]
    assert verified.event_type == "IdentityVerified"
    assert verified.payload.model_dump() == {
        "commitment": accepted["commitment"],
        "masked_id": "1101**********002X",
        "method": "real_name",
        "provider_kind": "development",
        "provider_request_id": verified.payload.provider_request_id,  # type: ignore[attr-defined]
    }
    assert await identity.call("match_name", party_id=party_id, name=LEGAL_NAME) == {
        "matches": True
    }
    assert await identity.call("match_name", party_id=party_id, name="欧阳娜") == {"matches": False}


async def test_the_profile_answers_whether_a_name_is_the_legal_name_with_the_age(
    identity: Identity,
) -> None:
    # A counterparty joining: drafting asks the age gate and the name in one round trip.
    party_id = str(await identity.verified_party(PHONE))

    async def asked(party: str, name: str) -> dict[str, object]:
        profile: dict[str, object] = await identity.call(
            "party_profile", party_id=party, age_on="2000-01-01", name=name
        )
        return {key: profile[key] for key in ("verified", "age", "name_matches")}

    assert await asked(party_id, f" {LEGAL_NAME} ") == {
        "verified": True,
        "age": {"eligible": True, "reason": None},
        "name_matches": True,  # compared as identity normalises a legal name
    }
    assert (await asked(party_id, "欧阳娜"))["name_matches"] is False
    assert (await asked(party_id, "1"))["name_matches"] is False  # not a name at all
    unknown = await asked(str(uuid.uuid4()), LEGAL_NAME)
    assert unknown == {
        "verified": False,
        "age": {"eligible": False, "reason": "not_verified"},
        "name_matches": False,
    }


async def test_the_profile_answers_the_age_gate_from_the_birth_date_in_the_vault(
    identity: Identity,
) -> None:
    # Born 1949-12-31: 22 on 1971-12-31, 61 on 2010-12-31.
    party_id = str(await identity.verified_party(PHONE))
    profiles = {
        on: await identity.call("party_profile", party_id=party_id, age_on=on)
        for on in ("1971-12-30", "1971-12-31", "2010-12-30", "2010-12-31")
    }
    assert {on: profile["age"] for on, profile in profiles.items()} == {
        "1971-12-30": {"eligible": False, "reason": "too_young"},
        "1971-12-31": {"eligible": True, "reason": None},
        "2010-12-30": {"eligible": True, "reason": None},
        "2010-12-31": {"eligible": False, "reason": "too_old"},
    }
    # A yes/no and a reason, next to the profile: no field could carry the birth date.
    assert {tuple(profile) for profile in profiles.values()} == {
        ("party_id", "verified", "masked_id", "commitment", "age", "name_matches")
    }
    unverified = str((await identity.login("13712345679"))["party_id"])
    assert await identity.call("party_profile", party_id=unverified, age_on="2000-01-01") == {
        "party_id": unverified,
        "verified": False,
        "masked_id": None,
        "commitment": None,
        "age": {"eligible": False, "reason": "not_verified"},
        "name_matches": None,
    }
    assert await identity.call("party_profile", party_id=unverified) == {
        "party_id": unverified,
        "verified": False,
        "masked_id": None,
        "commitment": None,
        "age": None,
        "name_matches": None,
    }
    unknown = str(uuid.uuid4())
    unknown_profile = await identity.call("party_profile", party_id=unknown, age_on="2000-01-01")
    assert unknown_profile["age"] == {"eligible": False, "reason": "not_verified"}


async def test_a_malformed_identity_is_refused_and_nothing_is_saved(identity: Identity) -> None:
    party_id = str((await identity.login(PHONE))["party_id"])
    position = await identity.store.last_position()
    cases = [
        ("110105194912310021", LEGAL_NAME, "id_number_check_character", "id_number"),
        ("110105491231002", LEGAL_NAME, "id_number_legacy", "id_number"),
        (ID_NUMBER, "欧阳2", "legal_name_invalid", "legal_name"),
    ]
    for id_number, name, code, field in cases:
        rejection = await refused(
            identity, "submit_identity", party_id=party_id, legal_name=name, id_number=id_number
        )
        assert (rejection.code, rejection.field) == (code, field)
    assert await identity.store.last_position() == position
    assert (
        await identity.store.pool.fetchval(
            f"SELECT count(*) FROM {identity.store.schema}.identities"
        )
        == 0
    )


async def test_one_identity_backs_one_account_once(identity: Identity) -> None:
    party_id = await identity.verified_party(PHONE)
    again = await refused(
        identity,
        "submit_identity",
        party_id=str(party_id),
        legal_name=LEGAL_NAME,
        id_number="440524188001010014",
    )
    assert again.code == "already_verified"
    other = (await identity.login("13712345679"))["party_id"]
    in_use = await refused(
        identity, "submit_identity", party_id=other, legal_name=LEGAL_NAME, id_number=ID_NUMBER
    )
    assert (in_use.code, in_use.field) == ("identity_in_use", "id_number")
    unknown = await refused(
        identity,
        "submit_identity",
        party_id=str(uuid.uuid4()),
        legal_name=LEGAL_NAME,
        id_number=ID_NUMBER,
    )
    assert unknown.code == "party_unknown"


class RefusingRealName:
    async def check(self, legal_name: str, id_number: str) -> ProviderResult:
        return ProviderResult(False, "test-vendor", "req-1", "name_mismatch")


async def test_a_rejection_keeps_only_its_reason(
    settings: Settings, pool: asyncpg.Pool, nc: NatsClient
) -> None:
    providers = replace(development_providers(), real_name=RefusingRealName())
    async with running_identity(settings, pool, nc, providers) as identity:
        party_id = (await identity.login(PHONE))["party_id"]
        rejection = await refused(
            identity,
            "submit_identity",
            party_id=party_id,
            legal_name=LEGAL_NAME,
            id_number=ID_NUMBER,
        )
        assert rejection.code == "identity_rejected"
        rejected = (await identity.events(uuid.UUID(party_id)))[-1]
        assert rejected.event_type == "IdentityRejected"
        assert rejected.payload.model_dump() == {"reason": "name_mismatch"}
        profile = await identity.call("party_profile", party_id=party_id)
        assert profile["verified"] is False


async def test_the_face_check_needs_a_real_image(identity: Identity) -> None:
    unverified = (await identity.login("13712345679"))["party_id"]
    rejection = await refused(
        identity, "verify_face", party_id=unverified, image_base64=png_base64()
    )
    assert rejection.code == "not_verified"
    party_id = str(await identity.verified_party(PHONE))
    for image, code in [
        ("not base64!", "image_invalid"),
        ("照片", "image_invalid"),
        ("aGVsbG8=", "face_check_failed"),
    ]:
        rejection = await refused(identity, "verify_face", party_id=party_id, image_base64=image)
        assert (rejection.code, rejection.field) == (code, "image_base64")
    tiny = await refused(identity, "verify_face", party_id=party_id, image_base64=png_base64(8, 8))
    assert tiny.code == "face_check_failed"
    passed = await identity.call("verify_face", party_id=party_id, image_base64=png_base64())
    assert passed["method"] == "face"


async def test_the_non_face_path_is_an_sms_code_and_a_bank_card(identity: Identity) -> None:
    party_id = str(await identity.verified_party(PHONE))
    # Straight after the login code: the minute between codes is per purpose.
    sent = await identity.call("request_alternative_code", party_id=party_id)
    assert sent["sent_to"] == "137****5678"
    code = await identity.last_code(PHONE, "alternative")
    wrong_card = await refused(
        identity,
        "verify_alternative",
        party_id=party_id,
        code=code,
        bank_card_number="6222020200112233448",
    )
    assert (wrong_card.code, wrong_card.field) == ("bank_card_mismatch", "bank_card_number")
    identity.clock.advance(61)
    await identity.call("request_alternative_code", party_id=party_id)
    code = await identity.last_code(PHONE, "alternative")
    wrong_code = "000000" if code != "000000" else "111111"
    rejection = await refused(
        identity, "verify_alternative", party_id=party_id, code=wrong_code,
        bank_card_number=BANK_CARD,
    )  # fmt: skip
    assert rejection.code == "code_wrong"
    passed = await identity.call(
        "verify_alternative", party_id=party_id, code=code, bank_card_number=BANK_CARD
    )
    assert passed["method"] == "sms_bank_card"
    # A login code is not an alternative-check code.
    assert (await identity.call("dev_inbox", phone=PHONE))["messages"][0]["purpose"] == (
        "alternative"
    )
