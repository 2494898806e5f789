"""The outside world identity depends on, as interfaces, with the development implementations.

A production deployment plugs in a real SMS gateway, a KYC vendor (real-name check against the
national database), a liveness / face-comparison vendor and a bank-card verification service.
Every interface returns the vendor's request id so that an audit can find the vendor's record.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import Protocol

from PIL import Image, UnidentifiedImageError

from services.identity.domain.masking import mask_phone
from shared.logging import get_logger

log = get_logger(__name__)

DEVELOPMENT = "development"


@dataclass(frozen=True)
class ProviderResult:
    """A vendor's answer. `reason` is a short code (never personal data) when not accepted."""

    accepted: bool
    provider_kind: str
    request_id: str
    reason: str | None = None


class SmsSender(Protocol):
    """Sends a one-time code. A production adapter calls an SMS gateway (Aliyun SMS, Tencent
    Cloud SMS) with a registered template and signature; it must not log the phone or the code.
    """

    async def send_code(self, phone: str, phone_index: str, code: str, purpose: str) -> None: ...


class RealNameProvider(Protocol):
    """Checks that a legal name and an ID number belong together (a KYC vendor's 二要素核验)."""

    async def check(self, legal_name: str, id_number: str) -> ProviderResult: ...


class FaceVerifier(Protocol):
    """Liveness and comparison with the ID photo. The image is used for the call only and never
    stored (人脸识别技术应用安全管理办法, 2025)."""

    async def verify(self, image: bytes, legal_name: str, id_number: str) -> ProviderResult: ...


class BankCardVerifier(Protocol):
    """Checks that a bank card belongs to the named person (a vendor's 三要素核验)."""

    async def verify(self, card_number: str, legal_name: str, id_number: str) -> ProviderResult: ...


class LoggingSmsSender:
    """Development: the code goes to the service log; `DevInbox` keeps it for the gateway."""

    async def send_code(self, phone: str, phone_index: str, code: str, purpose: str) -> None:
        # `dev_code` is not a redacted key on purpose: showing it is this sender's whole job.
        log.info("development sms", phone_masked=mask_phone(phone), purpose=purpose, dev_code=code)


class DevelopmentRealNameProvider:
    """Accepts any well-formed pair (the caller has checked the form) and says it is a dev check."""

    async def check(self, legal_name: str, id_number: str) -> ProviderResult:
        return ProviderResult(True, DEVELOPMENT, f"dev-{uuid.uuid4()}")


MIN_SIDE = 64
MAX_SIDE = 8192
MAX_IMAGE_BYTES = 8 * 1024 * 1024


class DevelopmentFaceVerifier:
    """Accepts a real, decodable image of a sane size; compares no face."""

    async def verify(self, image: bytes, legal_name: str, id_number: str) -> ProviderResult:
        reason = image_problem(image)
        return ProviderResult(reason is None, DEVELOPMENT, f"dev-{uuid.uuid4()}", reason)


def image_problem(image: bytes) -> str | None:
    """None for a decodable image between 64 and 8192 pixels a side, else a reason code."""
    if len(image) > MAX_IMAGE_BYTES:
        return "image_too_large"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(image)) as picture:
                size = picture.size
                picture.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, SyntaxError):  # fmt: skip
        return "image_unreadable"
    if min(size) < MIN_SIDE or max(size) > MAX_SIDE:
        return "image_size"
    return None


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


class DevelopmentBankCardVerifier:
    """Accepts a 12 to 19 digit card number whose Luhn check passes."""

    async def verify(self, card_number: str, legal_name: str, id_number: str) -> ProviderResult:
        ok = card_number.isdigit() and 12 <= len(card_number) <= 19 and luhn_ok(card_number)
        reason = None if ok else "bank_card_mismatch"
        return ProviderResult(ok, DEVELOPMENT, f"dev-{uuid.uuid4()}", reason)
