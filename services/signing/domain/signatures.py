"""What every signature (of a note or of a void) needs: a party, confirmed intent, the check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.signing.domain.errors import SigningRefused
from services.signing.domain.messages import SignerFacts
from services.signing.domain.state import NoteSigning
from shared.catalogue.signing import DigitalSignature, SignerCheck

# The statement the signer confirms; its version is recorded with every signature.
INTENT_VERSION = "intent-2026-01"
INTENT_TEXT = "本人已阅读并理解上述全部内容，确认其真实有效，自愿签署。"


@dataclass(frozen=True)
class SignedBy:
    """What the key vault and the identity service contributed to one signature."""

    signature: DigitalSignature
    ticket_id: uuid.UUID
    method: str


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


def signer_check(facts: SignerFacts, signed: SignedBy) -> SignerCheck:
    return SignerCheck(
        ticket_id=signed.ticket_id,
        method=signed.method,
        identity_commitment=facts.identity_commitment,
        intent_version=INTENT_VERSION,
    )
