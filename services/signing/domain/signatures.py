"""What every signature (of a note or of a void) needs: a party, confirmed intent, the check."""

from __future__ import annotations

import uuid

from services.signing.domain.errors import SigningRefused
from services.signing.domain.state import NoteSigning
from shared.catalogue.signing import SignerCheck

# The statement the signer confirms; its version is recorded with every signature.
INTENT_VERSION = "intent-2026-01"
INTENT_TEXT = "本人已阅读并理解上述全部内容，确认其真实有效，自愿签署。"


def require_intent(confirmed: bool) -> None:
    if not confirmed:
        raise SigningRefused(
            "intent_not_confirmed",
            "the signer must confirm the intent to sign",
            "请确认签署意愿",
            "intent_confirmed",
        )


def require_party(state: NoteSigning, party_id: uuid.UUID) -> str:
    """The party's role on the note; refuses anybody else."""
    role = state.role_of(party_id)
    if role is None:
        raise SigningRefused(
            "not_a_party", "only a party to the note may do this", "仅借条当事人可操作", "party_id"
        )
    return role


def signer_check(
    state: NoteSigning, party_id: uuid.UUID, ticket_id: uuid.UUID, method: str
) -> SignerCheck:
    """How the signer was authorised (identity's redeemed ticket); it is part of what is signed."""
    return SignerCheck(
        ticket_id=ticket_id,
        method=method,
        identity_commitment=state.identity_commitment_of(party_id),
        intent_version=INTENT_VERSION,
    )
