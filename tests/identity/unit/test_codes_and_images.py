"""One-time code rules and the development face verifier's image check."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from services.identity.adapters.providers import image_problem, luhn_ok
from services.identity.domain.codes import (
    CodePolicy,
    IssuedCode,
    Verdict,
    judge_attempt,
    refusal,
    refuse_if_sending_too_often,
)
from services.identity.domain.errors import Refusal

POLICY = CodePolicy()
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CODE = IssuedCode("h", NOW + timedelta(minutes=5), attempts=0, active=True)


def test_verdicts() -> None:
    assert judge_attempt(POLICY, CODE, True, NOW) is Verdict.ACCEPTED
    assert judge_attempt(POLICY, CODE, False, NOW) is Verdict.WRONG
    assert judge_attempt(POLICY, CODE, True, CODE.expires_at) is Verdict.EXPIRED
    exhausted = IssuedCode("h", CODE.expires_at, attempts=5, active=True)
    assert judge_attempt(POLICY, exhausted, True, NOW) is Verdict.EXHAUSTED
    used = IssuedCode("h", CODE.expires_at, attempts=1, active=False)
    assert judge_attempt(POLICY, used, True, NOW) is Verdict.NOT_REQUESTED
    assert judge_attempt(POLICY, None, True, NOW) is Verdict.NOT_REQUESTED


def test_each_verdict_has_its_own_code() -> None:
    codes = {refusal(v, 1).code for v in Verdict if v is not Verdict.ACCEPTED}
    assert codes == {"code_wrong", "code_expired", "code_too_many_attempts", "code_not_requested"}


def test_one_code_a_minute_per_purpose_and_five_an_hour_in_all() -> None:
    refuse_if_sending_too_often(POLICY, [("login", NOW - timedelta(seconds=61))], "login", NOW)
    with pytest.raises(Refusal, match="59 s") as refused:
        refuse_if_sending_too_often(POLICY, [("login", NOW - timedelta(seconds=2))], "login", NOW)
    assert refused.value.code == "code_rate_limited"
    # The check right after logging in is another purpose: it need not wait.
    refuse_if_sending_too_often(POLICY, [("login", NOW - timedelta(seconds=2))], "alternative", NOW)
    hour = [("login", NOW - timedelta(minutes=m)) for m in (50, 40, 30, 20, 10)]
    with pytest.raises(Refusal, match="code"):
        refuse_if_sending_too_often(POLICY, hour, "alternative", NOW)
    later = NOW + timedelta(minutes=10, seconds=1)
    refuse_if_sending_too_often(POLICY, hour, "login", later)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 150, 120)).save(out, "PNG")
    return out.getvalue()


def test_only_a_decodable_image_of_sane_size_passes() -> None:
    assert image_problem(_png(320, 480)) is None
    assert image_problem(_png(16, 16)) == "image_size"
    assert image_problem(b"\x89PNG\r\n\x1a\n not really") == "image_unreadable"
    assert image_problem(_png(320, 480)[:100]) == "image_unreadable"


def test_luhn() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
