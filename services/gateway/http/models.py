"""Request and response bodies of the HTTP API (the OpenAPI document is built from these)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.catalogue.drafting import CancelReason, NoteTerms
from shared.catalogue.signing import VoidReason

# Standard base64, checked here so no service ever sees other characters.
BASE64 = r"^[A-Za-z0-9+/]*={0,2}$"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhoneIn(Body):
    phone: str = Field(min_length=1, max_length=32, examples=["13800138000"])


class LoginIn(PhoneIn):
    code: str = Field(min_length=1, max_length=16, examples=["123456"])


class CodeSentOut(BaseModel):
    sent_to: str
    expires_at: datetime


class LoggedInOut(BaseModel):
    party_id: uuid.UUID
    expires_at: datetime
    new_party: bool
    # For programs (bearer); the web app gets the same token as an HTTP-only cookie.
    session_token: str
    csrf_token: str


class MeOut(BaseModel):
    party_id: uuid.UUID
    verified: bool
    masked_id: str | None
    csrf_token: str


class IdentityIn(Body):
    legal_name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=32)


class FaceIn(Body):
    image_base64: str = Field(min_length=1, max_length=11_200_000, pattern=BASE64)


class AlternativeIn(Body):
    code: str = Field(min_length=1, max_length=16)
    bank_card_number: str = Field(min_length=1, max_length=32)


class ContactIn(Body):
    display_name: str = Field(min_length=1, max_length=64)
    phone: str = Field(min_length=1, max_length=32)


class DraftIn(Body):
    note_id: uuid.UUID | None = None
    accepted_disclaimer_version: str | None = Field(None, max_length=32)
    counterparty: ContactIn
    terms: NoteTerms


class TermsIn(Body):
    terms: NoteTerms


class CancelIn(Body):
    reason: CancelReason = "withdrawn"


class NoteRefOut(BaseModel):
    note_id: uuid.UUID
    note_version: int
    status: str


class InvitationOut(BaseModel):
    note_id: uuid.UUID
    token: str
    url: str
    expires_at: datetime


class NoteListItem(BaseModel):
    note_id: uuid.UUID
    template: str | None
    status: str
    status_zh: str
    my_role: str
    amount: Decimal | None
    title: str
    due_date: str | None
    updated_at: datetime


class NoteListOut(BaseModel):
    items: list[NoteListItem]
    page: int
    page_size: int
    total: int


class TimelineEntry(BaseModel):
    event_id: uuid.UUID
    source: str
    event_type: str
    label_zh: str
    occurred_at: datetime
    detail: dict[str, Any]
    leaf_index: int | None


class NoteOut(BaseModel):
    note: dict[str, Any]
    status: str
    status_zh: str
    my_role: str
    signing: dict[str, Any] | None
    timeline: list[TimelineEntry]


class InvitationViewOut(BaseModel):
    template: str | None
    your_role: str | None
    amount: Decimal | None
    title: str
    due_date: str | None
    expires_at: datetime
    state: Literal["active", "expired", "used", "revoked", "replaced"]


class HandwritingIn(Body):
    strokes: list[list[tuple[float, float, int]]] = Field(max_length=64)
    png_base64: str = Field(min_length=1, max_length=1_000_000, pattern=BASE64)


class SignIn(Body):
    intent_confirmed: bool
    handwriting: HandwritingIn


class DeclineIn(Body):
    reason: str = Field(min_length=1, max_length=500)


class VoidRequestIn(SignIn):
    reason_code: VoidReason
    reason_text: str = Field("", max_length=2000)


class VoidAnswerIn(Body):
    reason: str = Field("", max_length=500)


class VerifyIn(Body):
    document: dict[str, Any]


class CheckOut(BaseModel):
    name: str
    ok: bool
    detail: str


class VerdictOut(BaseModel):
    ok: bool
    kind: Literal["pack", "receipt"]
    checks: list[CheckOut]


class ResultOut(BaseModel):
    """A service's answer, passed through."""

    model_config = ConfigDict(extra="allow")
