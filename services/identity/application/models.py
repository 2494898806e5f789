"""Request and result models of identity's commands (see `services.identity.app`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.catalogue.identity import TicketPurpose
from shared.commands import CommandModel

HexDigest = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True, strip_whitespace=True)
]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)]


class RequestLoginCode(CommandModel):
    phone: str = Field(max_length=32)


class CodeSent(CommandModel):
    sent_to: str  # masked, like 138****5678
    expires_at: datetime


class VerifyLoginCode(CommandModel):
    phone: str = Field(max_length=32)
    code: Code


class LoggedIn(CommandModel):
    session_token: str
    party_id: uuid.UUID
    expires_at: datetime
    new_party: bool


class SessionToken(CommandModel):
    session_token: str = Field(max_length=512)


class SessionResolved(CommandModel):
    party_id: uuid.UUID
    expires_at: datetime


class SessionRevoked(CommandModel):
    revoked: bool


class SubmitIdentity(CommandModel):
    party_id: uuid.UUID
    legal_name: str = Field(max_length=64)
    id_number: str = Field(max_length=32)


class IdentityAccepted(CommandModel):
    party_id: uuid.UUID
    verified: bool
    masked_id: str
    commitment: str
    provider_kind: str


class VerifyFace(CommandModel):
    party_id: uuid.UUID
    # About 8 MiB of image once decoded.
    image_base64: str = Field(max_length=11_200_000)


class RequestAlternativeCode(CommandModel):
    party_id: uuid.UUID


class VerifyAlternative(CommandModel):
    party_id: uuid.UUID
    code: Code
    bank_card_number: str = Field(max_length=32)


class CheckPassed(CommandModel):
    check_id: uuid.UUID
    method: str
    valid_until: datetime


class IssueTicket(CommandModel):
    party_id: uuid.UUID
    note_id: uuid.UUID
    document_digest: HexDigest
    purpose: TicketPurpose


class TicketIssued(CommandModel):
    ticket: str
    ticket_id: uuid.UUID
    method: str
    expires_at: datetime


class RedeemTicket(CommandModel):
    ticket: str = Field(max_length=4096)
    party_id: uuid.UUID
    note_id: uuid.UUID
    document_digest: HexDigest
    purpose: TicketPurpose
    identity_commitment: HexDigest  # the identity the caller holds for the party


class TicketRedeemed(CommandModel):
    ticket_id: uuid.UUID
    method: str


class NoArguments(CommandModel):
    pass


class TicketPublicKey(CommandModel):
    kid: str
    algorithm: Literal["Ed25519"]
    public_key: str  # base64 of the 32 raw bytes
    public_key_pem: str


class AgeAnswer(CommandModel):
    """Only yes/no and a reason: the birth date never leaves identity."""

    eligible: bool
    reason: Literal["too_young", "too_old", "not_verified"] | None


class PartyProfileRequest(CommandModel):
    party_id: uuid.UUID
    age_on: date | None = None  # also answer the age gate on this date (one round trip)
    name: str | None = Field(default=None, max_length=64)  # also: is this the legal name?


class PartyProfile(CommandModel):
    party_id: uuid.UUID
    verified: bool
    masked_id: str | None
    commitment: str | None
    age: AgeAnswer | None = None  # only when `age_on` was asked
    name_matches: bool | None = None  # only when `name` was asked


class MatchName(CommandModel):
    party_id: uuid.UUID
    name: str = Field(max_length=64)


class NameMatch(CommandModel):
    matches: bool


class DevInboxRequest(CommandModel):
    phone: str = Field(max_length=32)


class DevMessage(CommandModel):
    purpose: str
    code: str
    sent_at: datetime


class DevInbox(CommandModel):
    messages: list[DevMessage]
