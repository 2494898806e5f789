"""A note's timeline: one entry per event, with what may be shown of it (never personal data)."""

from __future__ import annotations

from typing import Any

from shared.events import Envelope

# Only these payload keys reach the timeline: codes, versions, digests and party ids.
SHOWN_KEYS = (
    "note_version",
    "reason",
    "reason_code",
    "role",
    "party_id",
    "sequence",
    "document_digest",
    "final_digest",
    "void_id",
    "expires_at",
)

LABELS_ZH = {
    "NoteDrafted": "起草借条",
    "NoteTermsAmended": "修改条款",
    "CounterpartyContactAmended": "修改对方联系方式",
    "CounterpartyInvited": "发出邀请",
    "InvitationRevoked": "撤回邀请",
    "CounterpartyJoined": "对方已加入",
    "NoteFrozenForSigning": "提交签署",
    "NoteTermsLocked": "条款已锁定",
    "NoteCancelled": "已撤销",
    "SigningOpened": "开始签署",
    "SigningClosed": "签署已关闭",
    "TermsLockRecorded": "条款锁定已记录",
    "PartySigned": "一方已签署",
    "SignatureDeclined": "拒绝签署",
    "NoteCompleted": "已完成签署",
    "VoidRequested": "申请废止",
    "VoidSigned": "同意废止",
    "VoidDeclined": "拒绝废止",
    "VoidWithdrawn": "撤回废止申请",
    "VoidExpired": "废止申请已过期",
    "NoteVoided": "已废止",
}


def label_zh(event_type: str) -> str:
    return LABELS_ZH.get(event_type, event_type)


def detail(event: Envelope) -> dict[str, Any]:
    payload = event.payload.model_dump(mode="json")
    return {key: payload[key] for key in SHOWN_KEYS if payload.get(key) is not None}
