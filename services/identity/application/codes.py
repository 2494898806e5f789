"""Sending and checking one-time codes, for login and for the non-face alternative check."""

from __future__ import annotations

import hmac
import re
import secrets

from services.identity.adapters import codes_sql
from services.identity.application.context import IdentityContext
from services.identity.application.models import CodeSent
from services.identity.domain.codes import (
    CODE_DIGITS,
    IssuedCode,
    Verdict,
    judge_attempt,
    refusal,
    refuse_if_sending_too_often,
)
from services.identity.domain.errors import Refusal
from services.identity.domain.masking import mask_phone
from shared.store import Transaction

_CODE = re.compile(rf"^[0-9]{{{CODE_DIGITS}}}$")


async def send_code(ctx: IdentityContext, phone: str, phone_index: str, purpose: str) -> CodeSent:
    now, policy = ctx.now(), ctx.settings.code_policy()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    async with ctx.store.transaction() as tx:
        sent = await codes_sql.lock_phone_send_times(tx, phone_index, now - ctx.seconds(3600))
        refuse_if_sending_too_often(policy, sent, purpose, now)
        code_hash = ctx.code_hash(phone_index, purpose, code)
        dev_copy = code if ctx.env in ("dev", "test") else None
        new = codes_sql.NewCode(phone_index, purpose, code_hash, now, now + policy.ttl, dev_copy)
        await codes_sql.insert_code(tx, new)
        # Sent inside the transaction: a send that fails leaves no code and costs no quota.
        await ctx.providers.sms.send_code(phone, phone_index, code, purpose)
    return CodeSent(sent_to=mask_phone(phone), expires_at=now + policy.ttl)


def refuse_malformed(code: str) -> None:
    if not _CODE.match(code):
        raise Refusal(
            "code_format",
            f"the code is {CODE_DIGITS} digits",
            message_zh=f"验证码应为{CODE_DIGITS}位数字",
            field="code",
        )


async def attempt_code(
    ctx: IdentityContext, tx: Transaction, phone_index: str, purpose: str, code: str
) -> Refusal | int:
    """Judge one attempt at the phone's pending code, whose row stays locked until commit.

    A wrong attempt is counted and its refusal returned, not raised, so the caller commits the
    count first. A right code's id is returned: the caller uses it up in the same transaction,
    in a write it makes anyway where it can (one round trip fewer), else with `use_code`.
    """
    policy = ctx.settings.code_policy()
    row = await codes_sql.latest_code(tx, phone_index, purpose)
    if row is None:
        return refusal(Verdict.NOT_REQUESTED, 0)
    issued = IssuedCode(row.code_hash, row.expires_at, row.attempts, row.active)
    matches = hmac.compare_digest(row.code_hash, ctx.code_hash(phone_index, purpose, code))
    verdict = judge_attempt(policy, issued, matches, ctx.now())
    if verdict is Verdict.ACCEPTED:
        return row.id
    if verdict is Verdict.WRONG:
        await codes_sql.count_attempt(tx, row.id, consumed=False)
    return refusal(verdict, max(policy.max_attempts - row.attempts - 1, 0))


async def use_code(tx: Transaction, code_id: int) -> None:
    await codes_sql.count_attempt(tx, code_id, consumed=True)
