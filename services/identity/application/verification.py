"""The real-name check: binds a party to one identity, sealed in the vault."""

from __future__ import annotations

import uuid

import asyncpg

from services.identity.adapters import postgres
from services.identity.adapters.providers import ProviderResult
from services.identity.application.context import (
    IdentityContext,
    correlation_id,
    id_context,
    name_context,
    unknown_party,
)
from services.identity.application.models import (
    IdentityAccepted,
    SubmitIdentity,
)
from services.identity.domain.contact import normalise_legal_name
from services.identity.domain.errors import Refusal
from services.identity.domain.id_number import parse_id_number
from services.identity.domain.masking import mask_id_number
from services.identity.domain.party import (
    already_verified,
    record_rejection,
    record_verification,
)
from shared.catalogue.identity import IdentityVerified

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
            locked, now = await postgres.lock_party(tx, party_id), self.ctx.now()
            if locked is None:
                raise unknown_party()
            if not result.accepted:
                rejection = record_rejection(result.reason or "real_name_mismatch")
                await postgres.append_to_stream(
                    tx, party_id, rejection, correlation_id(), now, after=locked.version
                )
            else:
                verified = self._verified(result, commitment, masked)
                events = postgres.new_events(
                    party_id,
                    record_verification(locked.party, verified),
                    correlation_id(),
                    now,
                    after=locked.version,
                )
                kid, id_sealed = vault.seal(id_number, id_context(party_id))
                _, name_sealed = vault.seal(name, name_context(party_id), kid)
                row = postgres.IdentityRow(party_id, kid, id_sealed, name_sealed)
                try:
                    await postgres.insert_identity(
                        tx, events, row, id_index, commitment, masked, now
                    )
                except asyncpg.UniqueViolationError:
                    raise _identity_in_use() from None
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
        """Refusals known before the real-name provider is asked (and paid)."""
        state = await postgres.verification_state(
            self.ctx.store.pool, self.ctx.schema, party_id, id_index
        )
        if not state.known:
            raise unknown_party()
        if state.verified:
            raise already_verified()
        if state.identity_in_use:
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
