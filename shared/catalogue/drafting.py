"""Events published by the drafting service, and the note terms they carry.

Every event's stream is one note (`stream_type = "note"`, `stream_id` = the note id).

No event carries personal data in clear. The counterparty's display name and phone, as the
initiator typed them, stay encrypted in drafting's own table; events carry only
`contact_commitment`, a salted SHA-256 commitment to them (see
`services.drafting.domain.document`). Identity data (legal names, ID numbers) never reach
drafting at all: events carry the identity service's `identity_commitment` and yes/no answers.

Amounts are `Decimal` strings in fen ("1234.50"), rates are annual percentages with four decimal
places ("12.0000"), dates are ISO calendar dates in Asia/Shanghai (legal dates).
`note_version` is the version of the note's *document*: 1 when drafted, +1 for every change to
what is signed. It is not the event stream's version.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.events import EventPayload


class Template(StrEnum):
    IOU = "iou"  # 借条
    RECEIPT = "receipt"  # 收据
    CONTRACT = "contract"  # 合同


class RepaymentMethod(StrEnum):
    BULLET = "bullet"  # 到期一次性还本付息
    MONTHLY_INTEREST = "monthly_interest"  # 按月付息、到期还本
    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金


class DeliveryMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    WECHAT_PAY = "wechat_pay"
    ALIPAY = "alipay"
    CASH = "cash"
    OTHER = "other"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IouTerms(Frozen):
    """借条. `delivered_amount` is the money actually handed over; it must equal the principal."""

    template: Literal["iou"] = "iou"
    initiator_role: Literal["lender", "borrower"]
    principal: Decimal
    purpose: str
    start_date: date
    due_date: date
    # None means no interest agreed, which the Civil Code (art. 680) reads as no interest.
    annual_rate_percent: Decimal | None = None
    repayment_method: RepaymentMethod
    delivery_method: DeliveryMethod
    delivered_amount: Decimal | None = None
    remarks: str = ""


class ReceiptTerms(Frozen):
    """收据: the payee acknowledges money and/or goods received from the payer."""

    template: Literal["receipt"] = "receipt"
    initiator_role: Literal["payer", "payee"]
    amount: Decimal | None = None
    item_description: str = ""
    received_on: date
    reason: str


class ContractTerms(Frozen):
    """合同: a small contract between two parties (甲方 party_a, 乙方 party_b)."""

    template: Literal["contract"] = "contract"
    initiator_role: Literal["party_a", "party_b"]
    title: str
    terms_text: str
    amount: Decimal | None = None
    start_date: date | None = None
    end_date: date | None = None


NoteTerms = Annotated[IouTerms | ReceiptTerms | ContractTerms, Field(discriminator="template")]


class RateCheck(Frozen):
    """The legal rate cap an IOU was checked against: min(product cap, 4 × one-year LPR)."""

    lpr_percent: Decimal
    lpr_effective_from: date
    lpr_table_version: str
    cap_percent: Decimal


class AgeCheck(Frozen):
    """The identity service's answer: is the party 22–60 years old on `on`? Never a birth date."""

    party_id: uuid.UUID
    on: date
    eligible: bool
    reason: Literal["too_young", "too_old", "not_verified"] | None = None


class NoteDrafted(EventPayload):
    stream_type = "note"

    note_version: int
    template: Template
    template_version: str
    template_text: str
    disclaimer_version: str
    disclaimer_accepted_at: AwareDatetime
    initiator_party_id: uuid.UUID
    initiator_identity_commitment: str
    contact_commitment: str
    terms: NoteTerms
    rate_check: RateCheck | None = None
    age_checks: tuple[AgeCheck, ...] = ()


class NoteTermsAmended(EventPayload):
    """New terms; any earlier freeze (and signatures over it) no longer applies."""

    stream_type = "note"

    note_version: int
    terms: NoteTerms
    rate_check: RateCheck | None = None
    age_checks: tuple[AgeCheck, ...] = ()


class CounterpartyContactAmended(EventPayload):
    """The initiator corrected the counterparty's display name or phone (a new document)."""

    stream_type = "note"

    note_version: int
    contact_commitment: str
    # Re-checked against the joined counterparty's verified legal name; None if nobody joined.
    name_matches: bool | None = None


class CounterpartyInvited(EventPayload):
    """A new invitation; it replaces any earlier one. Only the token's SHA-256 is recorded."""

    stream_type = "note"

    token_hash: str
    expires_at: AwareDatetime


class InvitationRevoked(EventPayload):
    stream_type = "note"

    token_hash: str


class CounterpartyJoined(EventPayload):
    """The invitee, verified by the identity service, accepted the invitation."""

    stream_type = "note"

    party_id: uuid.UUID
    role: str
    identity_commitment: str
    token_hash: str
    # Whether their verified legal name equals the display name the initiator typed.
    name_matches: bool
    age_checks: tuple[AgeCheck, ...] = ()


class NoteFrozenForSigning(EventPayload):
    """The document the initiator signs: `document_digest` = SHA-256(RFC 8785(`document`))."""

    stream_type = "note"

    note_version: int
    document_digest: str
    document: dict[str, object]
    initiator_party_id: uuid.UUID
    counterparty_party_id: uuid.UUID
    counterparty_identity_commitment: str


class NoteTermsLocked(EventPayload):
    """A party signed the frozen version: from now on the terms cannot change."""

    stream_type = "note"

    note_version: int
    signed_by: uuid.UUID
    signature_event_id: uuid.UUID


class NoteDeclined(EventPayload):
    """The counterparty declined to sign the frozen version (signing's `SignatureDeclined`):
    the note has ended and can no longer be amended, frozen or signed."""

    stream_type = "note"

    note_version: int
    declined_by: uuid.UUID
    decline_event_id: uuid.UUID


CancelReason = Literal["withdrawn", "mistake", "other"]


class NoteCancelled(EventPayload):
    stream_type = "note"

    cancelled_by: uuid.UUID
    reason: CancelReason = "withdrawn"


__all__ = [
    "AgeCheck",
    "CancelReason",
    "ContractTerms",
    "CounterpartyContactAmended",
    "CounterpartyInvited",
    "CounterpartyJoined",
    "DeliveryMethod",
    "InvitationRevoked",
    "IouTerms",
    "NoteCancelled",
    "NoteDeclined",
    "NoteDrafted",
    "NoteFrozenForSigning",
    "NoteTerms",
    "NoteTermsAmended",
    "NoteTermsLocked",
    "RateCheck",
    "ReceiptTerms",
    "RepaymentMethod",
    "Template",
]
