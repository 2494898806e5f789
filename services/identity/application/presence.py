"""Presence checks before signing: a face check, or, because face recognition may not be the
only way (人脸识别技术应用安全管理办法, 2025), an SMS code to the account's phone plus a bank-card
check. A passed check is good for one ticket within `check_window_seconds`."""

from __future__ import annotations

import base64
import re
import uuid

from services.identity.adapters import codes_sql, postgres
from services.identity.adapters.providers import ProviderResult
from services.identity.application.codes import (
    attempt_code,
    refuse_malformed,
    send_code,
    use_code,
)
from services.identity.application.context import (
    Identity,
    IdentityContext,
    phone_context,
    unknown_party,
)
from services.identity.application.models import (
    CheckPassed,
    CodeSent,
    RequestAlternativeCode,
    VerifyAlternative,
    VerifyFace,
)
from services.identity.domain.errors import Refusal

ALTERNATIVE = "alternative"


class PresenceChecks:
    def __init__(self, ctx: IdentityContext) -> None:
        self.ctx = ctx

    async def verify_face(self, request: VerifyFace) -> CheckPassed:
        try:
            image = base64.b64decode(request.image_base64, validate=True)
        except ValueError:  # binascii.Error, or non-ASCII text that is no base64 at all
            raise Refusal(
                "image_invalid",
                "image_base64 is not valid base64",
                message_zh="图片编码无效",
                field="image_base64",
            ) from None
        identity = await self._verified_identity(request.party_id)
        result = await self.ctx.providers.face.verify(
            image, identity.legal_name, identity.id_number
        )
        del image  # the image is used for this check only
        if not result.accepted:
            raise Refusal(
                "face_check_failed",
                f"the face check did not pass ({result.reason})",
                message_zh="人脸核验未通过，可改用短信验证码加银行卡核验",
                field="image_base64",
            )
        return await self._passed(request.party_id, "face", result)

    async def request_alternative_code(self, request: RequestAlternativeCode) -> CodeSent:
        await self._verified_identity(request.party_id)
        phone, index = await self._bound_phone(request.party_id)
        return await send_code(self.ctx, phone, index, ALTERNATIVE)

    async def verify_alternative(self, request: VerifyAlternative) -> CheckPassed:
        refuse_malformed(request.code)
        card = re.sub(r"[\s-]", "", request.bank_card_number)
        identity = await self._verified_identity(request.party_id)
        _, index = await self._bound_phone(request.party_id)
        async with self.ctx.store.transaction() as tx:
            outcome = await attempt_code(self.ctx, tx, index, ALTERNATIVE, request.code)
            if not isinstance(outcome, Refusal):
                await use_code(tx, outcome)
        if isinstance(outcome, Refusal):
            raise outcome
        result = await self.ctx.providers.bank_card.verify(
            card, identity.legal_name, identity.id_number
        )
        if not result.accepted:
            raise Refusal(
                "bank_card_mismatch",
                "the bank card could not be verified as yours",
                message_zh="银行卡核验未通过，请确认为本人名下银行卡",
                field="bank_card_number",
            )
        return await self._passed(request.party_id, "sms_bank_card", result)

    async def _verified_identity(self, party_id: uuid.UUID) -> Identity:
        identity = await self.ctx.identity(party_id)
        if identity is None:
            raise Refusal(
                "not_verified",
                "complete the real-name check first",
                message_zh="请先完成实名认证",
                field="party_id",
            )
        return identity

    async def _bound_phone(self, party_id: uuid.UUID) -> tuple[str, str]:
        row = await postgres.find_party(self.ctx.store.pool, self.ctx.schema, party_id)
        if row is None:
            raise unknown_party()
        phone = self.ctx.vault.open(row.kid, row.phone_sealed, phone_context(party_id))
        return phone, self.ctx.vault.blind_index("phone", phone)

    async def _passed(
        self, party_id: uuid.UUID, method: str, result: ProviderResult
    ) -> CheckPassed:
        now = self.ctx.now()
        until = now + self.ctx.seconds(self.ctx.settings.check_window_seconds)
        check_id = await codes_sql.insert_presence_check(
            self.ctx.store.pool,
            self.ctx.schema,
            party_id,
            method,
            (result.provider_kind, result.request_id),
            now,
            until,
        )
        return CheckPassed(check_id=check_id, method=method, valid_until=until)
