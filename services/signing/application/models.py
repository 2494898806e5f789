"""Requests and results of signing's commands (NATS request/reply, `shared.commands`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.catalogue.signing import VoidReason
from shared.commands import CommandModel

Digest = Field(pattern=r"^[0-9a-f]{64}$")


class HandwritingInput(CommandModel):
    """Strokes as captured: each a list of `[x, y, t_ms]`; the PNG as drawn, base64."""

    strokes: list[list[tuple[float, float, int]]] = Field(max_length=1000)
    png_base64: str = Field(max_length=1_000_000)


class SignRequest(CommandModel):
    note_id: uuid.UUID
    party_id: uuid.UUID
    document_digest: str = Digest
    ticket: str = Field(min_length=1, max_length=4096)
    intent_confirmed: bool
    handwriting: HandwritingInput


class SignResult(CommandModel):
    note_id: uuid.UUID
    status: str
    sequence: int
    key_id: str
    signature: str
    completed: bool
    final_digest: str | None


class DeclineRequest(CommandModel):
    note_id: uuid.UUID
    party_id: uuid.UUID
    document_digest: str = Digest
    reason: str = Field(max_length=500)


class StatusResult(CommandModel):
    note_id: uuid.UUID
    status: str


class RequestVoidRequest(CommandModel):
    note_id: uuid.UUID
    party_id: uuid.UUID
    reason_code: VoidReason
    reason_text: str = Field("", max_length=2000)
    ticket: str = Field(min_length=1, max_length=4096)
    intent_confirmed: bool
    handwriting: HandwritingInput


class VoidRequestResult(CommandModel):
    note_id: uuid.UUID
    void_id: uuid.UUID
    expires_at: datetime


class SignVoidRequest(CommandModel):
    note_id: uuid.UUID
    party_id: uuid.UUID
    void_id: uuid.UUID
    ticket: str = Field(min_length=1, max_length=4096)
    intent_confirmed: bool
    handwriting: HandwritingInput


class AnswerVoidRequest(CommandModel):
    """`decline_void` (with a reason) and `withdraw_void` (reason ignored)."""

    note_id: uuid.UUID
    party_id: uuid.UUID
    void_id: uuid.UUID
    reason: str = Field("", max_length=500)


class NoteRequest(CommandModel):
    note_id: uuid.UUID


class VoidView(CommandModel):
    void_id: uuid.UUID
    requested_by: uuid.UUID
    reason_code: str
    reason_text: str
    expires_at: datetime


class SigningStateResult(CommandModel):
    note_id: uuid.UUID
    status: str
    note_version: int | None
    document_digest: str | None
    template: str | None
    signers: list[uuid.UUID]
    signed_by: list[uuid.UUID]
    next_signer: uuid.UUID | None
    final_digest: str | None
    completed_at: datetime | None
    open_void: VoidView | None


class SignatureView(CommandModel):
    party_id: uuid.UUID
    role: str
    sequence: int
    document_digest: str
    key_id: str
    public_key: str | None
    message_format: str
    signature: str
    previous_signature: str | None
    handwriting_digest: str
    method: str


class SignaturesResult(CommandModel):
    note_id: uuid.UUID
    note_version: int | None
    signatures: list[SignatureView]


class StampRequest(CommandModel):
    note_id: uuid.UUID
    format: Literal["svg", "png"] = "svg"


class StampResult(CommandModel):
    note_id: uuid.UUID
    media_type: str
    content_base64: str
    final_digest: str
    completed_at: datetime
