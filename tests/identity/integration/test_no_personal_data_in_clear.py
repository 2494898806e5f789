"""After a full identity flow, no ID number, legal name, phone or bank card is anywhere in clear:
not in any table of any service's schema, not in any message on any JetStream stream."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from shared.bus.relay import OutboxRelay
from shared.commands import CommandRejected
from shared.config import Settings
from shared.subjects import Naming
from tests.identity.integration.pii_scan import find_in_database, find_in_jetstream, spellings
from tests.identity.integration.support import BANK_CARD, DIGEST, Identity

PHONE, OTHER_PHONE = "15012345678", "15012345679"
ID_NUMBER, OTHER_ID = "11010519491231002X", "440524188001010014"
LEGAL_NAME, OTHER_NAME = "司马相如", "卓文君"


async def full_flow(identity: Identity) -> uuid.UUID:
    party_id = await identity.verified_party(PHONE, ID_NUMBER, LEGAL_NAME)
    await identity.face_check(party_id)
    note_id = uuid.uuid4()
    ticket = {"party_id": str(party_id), "note_id": str(note_id), "document_digest": DIGEST}
    commitment = (await identity.call("party_profile", party_id=str(party_id)))["commitment"]
    held = {**ticket, "identity_commitment": commitment}
    issued = await identity.call("issue_ticket", **ticket, purpose="sign")
    await identity.call("redeem_ticket", **held, purpose="sign", ticket=issued["ticket"])
    identity.clock.advance(61)
    await identity.call("request_alternative_code", party_id=str(party_id))
    code = await identity.last_code(PHONE, "alternative")
    await identity.call(
        "verify_alternative", party_id=str(party_id), code=code, bank_card_number=BANK_CARD
    )
    issued = await identity.call("issue_ticket", **ticket, purpose="void")
    await identity.call("redeem_ticket", **held, purpose="void", ticket=issued["ticket"])
    await identity.call("party_profile", party_id=str(party_id), age_on="2026-01-01")
    await identity.call("match_name", party_id=str(party_id), name=LEGAL_NAME)
    # A second person: a refused identity (already in use), then their own.
    other = (await identity.login(OTHER_PHONE))["party_id"]
    with pytest.raises(CommandRejected):
        await identity.call(
            "submit_identity", party_id=other, legal_name=OTHER_NAME, id_number=ID_NUMBER
        )
    await identity.call(
        "submit_identity", party_id=other, legal_name=OTHER_NAME, id_number=OTHER_ID
    )
    return party_id


async def test_no_personal_data_in_clear_anywhere(
    identity: Identity, settings: Settings, pool: asyncpg.Pool, nc: NatsClient
) -> None:
    await full_flow(identity)
    published = await OutboxRelay(
        identity.store, nc.jetstream(), Naming(settings.namespace), "identity"
    ).publish_pending()
    assert published == 9  # two registrations and verifications, four ticket events, the key
    secrets = spellings(
        [ID_NUMBER, OTHER_ID, LEGAL_NAME, OTHER_NAME, PHONE, OTHER_PHONE, BANK_CARD]
    )
    assert await find_in_database(pool, settings.namespace, secrets) == []
    assert await find_in_jetstream(nc.jetstream(), settings.namespace, secrets) == []
    # The scans do look: what may be shown is found where it should be.
    shown = {"1101**********002X"}
    assert await find_in_database(pool, settings.namespace, shown)
    assert await find_in_jetstream(nc.jetstream(), settings.namespace, shown)
