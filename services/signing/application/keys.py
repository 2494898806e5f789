"""Each party's signing key: created on first need, published once, used under a ticket."""

from __future__ import annotations

import base64
import json
import uuid

from services.signing.adapters import tables
from services.signing.adapters.appends import Write
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


async def ensure_key(ctx: SigningContext, party_id: uuid.UUID) -> SealedKey:
    """The party's key; the first call makes it and publishes its public half."""
    fresh = new_sealed_key(party_id, ctx.vault.active_kid, ctx.vault.active_key)
    published = SigningKeyPublished(
        party_id=party_id, key_id=fresh.key_id, public_key=b64(fresh.public_key)
    )
    envelope = Envelope.new(
        published,
        stream_id=party_id,
        version=1,
        correlation_id=uuid.uuid4(),
        actor="signing",
        occurred_at=ctx.clock(),
    )
    async with ctx.store.writing([envelope]) as conn:
        stored = await tables.stored_key(conn, ctx.schema, fresh, envelope)
        # None: another request's key committed while that statement ran.
        stored = stored or await tables.load_key(conn, ctx.schema, party_id)
    assert stored is not None
    return stored


def sign(
    ctx: SigningContext, key: SealedKey, authorisation: Authorisation, message: bytes, fmt: str
) -> DigitalSignature:
    return sign_with(key, authorisation, message, ctx.vault.keys, fmt)


def handwriting_write(ctx: SigningContext, handwriting: Handwriting) -> Write:
    """Stores the handwriting as captured, sealed, with its signature."""
    digest = handwriting.ref.digest
    plaintext = json.dumps(
        {
            "png": base64.b64encode(handwriting.png).decode(),
            "strokes": handwriting.strokes_document(),
        }
    ).encode()
    sealed = ctx.vault.seal(plaintext, f"jietiao.handwriting:{digest}".encode())
    return tables.saves_handwriting(digest, sealed)
