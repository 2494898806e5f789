"""Each party's signing key: created on first need, published once, used under a ticket."""

from __future__ import annotations

import base64
import json
import uuid

from services.signing.adapters import tables
from services.signing.application.appending import Effect
from services.signing.application.context import SigningContext
from services.signing.domain.handwriting import Handwriting
from services.signing.domain.keys import (
    Authorisation,
    SealedKey,
    b64,
    new_sealed_key,
    sign_with,
)
from shared.catalogue.signing import DigitalSignature, SigningKeyPublished
from shared.events import Envelope
from shared.store import Transaction


async def ensure_key(ctx: SigningContext, party_id: uuid.UUID) -> SealedKey:
    """The party's key; the first call makes it and publishes its public half."""
    async with ctx.store.pool.acquire() as conn:
        existing = await tables.load_key(conn, ctx.schema, party_id)
    if existing is not None:
        return existing
    fresh = new_sealed_key(party_id, ctx.vault.active_kid, ctx.vault.active_key)
    published = SigningKeyPublished(
        party_id=party_id, key_id=fresh.key_id, public_key=b64(fresh.public_key)
    )
    async with ctx.store.transaction() as tx:
        if await tables.insert_key(tx.conn, tx.schema, fresh):
            await tx.append(
                [
                    Envelope.new(
                        published,
                        stream_id=party_id,
                        version=1,
                        correlation_id=uuid.uuid4(),
                        actor="signing",
                        occurred_at=ctx.clock(),
                    )
                ]
            )
            return fresh
    async with ctx.store.pool.acquire() as conn:  # another request made it first
        made = await tables.load_key(conn, ctx.schema, party_id)
    assert made is not None
    return made


def sign(
    ctx: SigningContext, key: SealedKey, authorisation: Authorisation, message: bytes, fmt: str
) -> DigitalSignature:
    return sign_with(key, authorisation, message, ctx.vault.keys, fmt)


def handwriting_effect(ctx: SigningContext, handwriting: Handwriting) -> Effect:
    """Stores the handwriting as captured, sealed, in the transaction of its signature."""
    digest = handwriting.ref().digest
    plaintext = json.dumps(
        {
            "png": base64.b64encode(handwriting.png).decode(),
            "strokes": handwriting.strokes_document(),
        }
    ).encode()
    sealed = ctx.vault.seal(plaintext, f"jietiao.handwriting:{digest}".encode())

    async def save(tx: Transaction) -> None:
        await tables.save_handwriting(tx.conn, tx.schema, digest, sealed)

    return save
