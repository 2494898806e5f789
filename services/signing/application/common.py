"""Steps several use cases share: parse the handwriting, redeem the ticket."""

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


def check_of(state: NoteSigning, authorisation: Authorisation) -> SignerCheck:
    return signer_check(
        state, authorisation.party_id, authorisation.ticket_id, authorisation.method
    )


async def redeem(
    ctx: SigningContext,
    ticket: str,
    state: NoteSigning,
    party_id: uuid.UUID,
    digest: str,
    purpose: Purpose,
) -> Authorisation:
    """Spend the ticket, if the signer is still verified as the identity the note was frozen
    with (identity checks both in the one call, and refuses `identity_mismatch` unspent).
    Identity's `ticket_*` refusals pass through to the caller as they are."""
    commitment = state.identity_commitment_of(party_id)
    return await ctx.identity.redeem_ticket(
        ticket, party_id, state.note_id, digest, purpose, commitment
    )
