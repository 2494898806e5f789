"""Events published by the identity service.

Nothing here is personal data in clear: a party is its `party_id`, an identity is a keyed HMAC
commitment and a masked ID number (`1101**********002X`); phone numbers, legal names, ID numbers,
face images and bank-card numbers never appear. Party events have `stream_type = "party"` and
`stream_id = party_id`; the ticket key has a stream of its own.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime

from shared.events import EventPayload

TicketPurpose = Literal["sign", "void"]


class PartyRegistered(EventPayload):
    """A person logged in with a phone number for the first time and became a party."""

    stream_type: ClassVar[str] = "party"
    channel: Literal["sms_login"] = "sms_login"


class IdentityVerified(EventPayload):
    """The real-name check passed: the party is bound to one identity, shown only as these."""

    stream_type: ClassVar[str] = "party"
    commitment: str
    masked_id: str
    method: str
    provider_kind: str
    provider_request_id: str


class IdentityRejected(EventPayload):
    """A real-name check failed; only the reason code is kept."""

    stream_type: ClassVar[str] = "party"
    reason: str


class SigningTicketIssued(EventPayload):
    """After a fresh check, a single-use ticket to sign (or void) one digest of one note."""

    stream_type: ClassVar[str] = "party"
    ticket_id: uuid.UUID
    note_id: uuid.UUID
    document_digest: str
    purpose: TicketPurpose
    method: str
    expires_at: AwareDatetime


class SigningTicketRedeemed(EventPayload):
    """The ticket was used; it can never be used again."""

    stream_type: ClassVar[str] = "party"
    ticket_id: uuid.UUID
    note_id: uuid.UUID
    document_digest: str
    purpose: TicketPurpose


class TicketKeyPublished(EventPayload):
    """The public key signing tickets, so anyone can check a ticket offline.

    `stream_id` is `uuid5(NAMESPACE_URL, "jietiao:identity:ticket-key:" + kid)`.
    """

    stream_type: ClassVar[str] = "ticket_key"
    kid: str
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key: str  # base64 of the 32 raw bytes
