"""Real-name check (binds a party to an identity) and the presence checks before signing:
a face check, or the non-face alternative of an SMS code plus a bank-card check."""

from __future__ import annotations

import base64
import binascii
import re
import uuid

import asyncpg

from services.identity.adapters import codes_sql, postgres
from services.identity.adapters.providers import ProviderResult
from services.identity.application.codes import attempt_code, refuse_malformed, send_code
from services.identity.application.context import (
    Identity,
    IdentityContext,
    correlation_id,
    id_context,
    name_context,
    phone_context,
    unknown_party,
)
from services.identity.application.models import (
    CheckPassed,
    CodeSent,
    IdentityAccepted,
    RequestAlternativeCode,
    SubmitIdentity,
    VerifyAlternative,
    VerifyFace,
)
from services.identity.domain.contact import normalise_legal_name
from services.identity.domain.errors import Refusal
from services.identity.domain.id_number import parse_id_number
from services.identity.domain.masking import mask_id_number
from services.identity.domain.party import (
    record_rejection,
    record_verification,
    refuse_if_verified,
)
from shared.catalogue.identity import IdentityVerified

ALTERNATIVE = "alternative"
REAL_NAME = "real_name"


def _identity_in_use() -> Refusal:
    return Refusal(
        "identity_in_use",
        "this ID number is already verified on another account",
        message_zh="该身份证号码已在其他账户完成实名认证",
        field="id_number",
    )


class Verification:
    def __init__(self, ctx: IdentityContext) -> None:
        self.ctx = ctx

    async def submit_identity(self, request: SubmitIdentity) -> IdentityAccepted:
        name = normalise_legal_name(request.legal_name)
        id_number = parse_id_number(request.id_number).value
        party_id, vault = request.party_id, self.ctx.vault
        id_index = vault.blind_index("id_number", id_number)
        await self._refuse_unless_can_verify(party_id, id_index)
        result = await self.ctx.providers.real_name.check(name, id_number)
        commitment, masked = vault.commitment(id_number, name), mask_id_number(id_number)
        async with self.ctx.store.transaction() as tx:
            await postgres.lock_party(tx, party_id)
            party, now = await self.ctx.party(party_id), self.ctx.now()
            if not result.accepted:
                events = record_rejection(result.reason or "real_name_mismatch")
            else:
                events = record_verification(party, self._verified(result, commitment, masked))
                kid, id_sealed = vault.seal(id_number, id_context(party_id))
                _, name_sealed = vault.seal(name, name_context(party_id), kid)
                row = postgres.IdentityRow(party_id, kid, id_sealed, name_sealed)
                try:
                    await postgres.insert_identity(tx, row, id_index, commitment, masked, now)
                except asyncpg.UniqueViolationError:
                    raise _identity_in_use() from None
            await postgres.append_to_stream(tx, party_id, events, correlation_id(), now)
        if not result.accepted:
            raise Refusal(
                "identity_rejected",
                "the name and the ID number do not match",
                message_zh="姓名与身份证号码不一致",
                field="id_number",
            )
        return IdentityAccepted(
            party_id=party_id,
            verified=True,
            masked_id=masked,
            commitment=commitment,
            provider_kind=result.provider_kind,
        )

    async def _refuse_unless_can_verify(self, party_id: uuid.UUID, id_index: str) -> None:
        pool, schema = self.ctx.store.pool, self.ctx.schema
        if await postgres.find_party(pool, schema, party_id) is None:
            raise unknown_party()
        refuse_if_verified(await self.ctx.party(party_id))
        if await postgres.party_with_identity(pool, schema, id_index) is not None:
            raise _identity_in_use()

    @staticmethod
    def _verified(result: ProviderResult, commitment: str, masked: str) -> IdentityVerified:
        return IdentityVerified(
            commitment=commitment,
            masked_id=masked,
            method=REAL_NAME,
            provider_kind=result.provider_kind,
            provider_request_id=result.request_id,
        )

    async def verify_face(self, request: VerifyFace) -> CheckPassed:
        try:
            image = base64.b64decode(request.image_base64, validate=True)
        except binascii.Error:
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
            refused = await attempt_code(self.ctx, tx, index, ALTERNATIVE, request.code)
        if refused is not None:
            raise refused
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
