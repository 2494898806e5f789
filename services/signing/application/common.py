"""Steps several use cases share: parse the handwriting, check identity, redeem the ticket."""

from __future__ import annotations

import base64
import binascii
import uuid

from services.signing.adapters.identity import Purpose
from services.signing.application.context import SigningContext
from services.signing.application.models import HandwritingInput
from services.signing.domain.errors import SigningRefused
from services.signing.domain.handwriting import Handwriting, validated_handwriting
from services.signing.domain.keys import Authorisation
from services.signing.domain.signatures import signer_check
from services.signing.domain.state import NoteSigning
from shared.catalogue.signing import SignerCheck


def parse_handwriting(given: HandwritingInput) -> Handwriting:
    try:
        png = base64.b64decode(given.png_base64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SigningRefused(
            "handwriting_png_invalid",
            "png_base64 is not base64",
            "签名图片编码错误",
            "handwriting.png",
        ) from error
    return validated_handwriting(given.strokes, png)


async def require_identity(ctx: SigningContext, state: NoteSigning, party_id: uuid.UUID) -> None:
    """The signer must still be verified, as the identity the note was frozen with."""
    profile = await ctx.identity.party_profile(party_id)
    if not profile.verified or profile.commitment != state.identity_commitment_of(party_id):
        raise SigningRefused(
            "identity_mismatch",
            "the signer's verified identity is not the one on the note",
            "签署人的实名身份与借条上的不一致",
            "party_id",
        )


def check_of(state: NoteSigning, authorisation: Authorisation) -> SignerCheck:
    return signer_check(
        state, authorisation.party_id, authorisation.ticket_id, authorisation.method
    )


async def redeem(
    ctx: SigningContext,
    ticket: str,
    party_id: uuid.UUID,
    note_id: uuid.UUID,
    digest: str,
    purpose: Purpose,
) -> Authorisation:
    # Identity's `ticket_*` refusals pass through to the caller as they are.
    return await ctx.identity.redeem_ticket(ticket, party_id, note_id, digest, purpose)
