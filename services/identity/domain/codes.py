"""One-time SMS codes: 6 digits, a few minutes to live, few attempts, few sends per phone.

Each refusal has its own code, so the person learns whether to retype, wait or ask again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from services.identity.domain.errors import Refusal

CODE_DIGITS = 6


@dataclass(frozen=True)
class CodePolicy:
    ttl: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    min_interval: timedelta = timedelta(seconds=60)
    max_per_hour: int = 5


@dataclass(frozen=True)
class IssuedCode:
    """A code as stored: its keyed hash, never the code."""

    code_hash: str
    expires_at: datetime
    attempts: int
    active: bool


class Verdict(Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"
    NOT_REQUESTED = "not_requested"


def refuse_if_sending_too_often(
    policy: CodePolicy, sent: Sequence[tuple[str, datetime]], purpose: str, now: datetime
) -> None:
    """`sent`: (purpose, when) of the codes sent to this phone in the last hour. The minute
    between two codes is per purpose, so that logging in does not hold up the SMS-and-card
    check right after it; the hourly cap counts every code."""
    recent = [moment for _, moment in sent if now - moment < timedelta(hours=1)]
    resends = [moment for kind, moment in sent if kind == purpose and moment in recent]
    wait = timedelta(0)
    if resends and now - max(resends) < policy.min_interval:
        wait = policy.min_interval - (now - max(resends))
    elif len(recent) >= policy.max_per_hour:
        wait = min(recent) + timedelta(hours=1) - now
    if wait > timedelta(0):
        seconds = int(wait.total_seconds()) + 1
        raise Refusal(
            "code_rate_limited",
            f"too many codes requested for this phone: try again in {seconds} s",
            message_zh=f"验证码发送过于频繁，请{seconds}秒后再试",
            field="phone",
        )


def judge_attempt(
    policy: CodePolicy, code: IssuedCode | None, matches: bool, now: datetime
) -> Verdict:
    if code is None or not code.active:
        return Verdict.NOT_REQUESTED
    if now >= code.expires_at:
        return Verdict.EXPIRED
    if code.attempts >= policy.max_attempts:
        return Verdict.EXHAUSTED
    return Verdict.ACCEPTED if matches else Verdict.WRONG


def refusal(verdict: Verdict, attempts_left: int) -> Refusal:
    messages = {
        Verdict.WRONG: (
            f"the code is wrong ({attempts_left} attempts left)",
            f"验证码错误（还可尝试{attempts_left}次）",
        ),
        Verdict.EXPIRED: ("the code has expired: request a new one", "验证码已过期，请重新获取"),
        Verdict.EXHAUSTED: (
            "too many wrong attempts: request a new code",
            "验证码错误次数过多，请重新获取",
        ),
        Verdict.NOT_REQUESTED: (
            "no code is pending for this phone: request one first",
            "请先获取验证码",
        ),
    }
    codes = {
        Verdict.WRONG: "code_wrong",
        Verdict.EXPIRED: "code_expired",
        Verdict.EXHAUSTED: "code_too_many_attempts",
        Verdict.NOT_REQUESTED: "code_not_requested",
    }
    message, message_zh = messages[verdict]
    return Refusal(codes[verdict], message, message_zh, field="code")
