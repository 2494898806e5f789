"""Login by one-time code, parties created on first login, and signed, revocable sessions."""

from __future__ import annotations

import uuid

from services.identity.adapters import codes_sql, postgres
from services.identity.application.codes import attempt_code, refuse_malformed, send_code
from services.identity.application.context import (
    IdentityContext,
    correlation_id,
    phone_context,
)
from services.identity.application.models import (
    CodeSent,
    DevInbox,
    DevInboxRequest,
    DevMessage,
    LoggedIn,
    RequestLoginCode,
    SessionResolved,
    SessionRevoked,
    SessionToken,
    VerifyLoginCode,
)
from services.identity.domain.contact import normalise_phone
from services.identity.domain.errors import Refusal
from services.identity.domain.party import Party, register
from services.identity.domain.session_tokens import (
    SessionClaims,
    decode_session,
    encode_session,
    session_refusal,
)
from shared.store import Transaction

LOGIN = "login"


class Login:
    def __init__(self, ctx: IdentityContext) -> None:
        self.ctx = ctx

    def _phone(self, text: str) -> tuple[str, str]:
        phone = normalise_phone(text)
        return phone, self.ctx.vault.blind_index("phone", phone)

    async def request_code(self, request: RequestLoginCode) -> CodeSent:
        phone, index = self._phone(request.phone)
        return await send_code(self.ctx, phone, index, LOGIN)

    async def verify_code(self, request: VerifyLoginCode) -> LoggedIn:
        phone, index = self._phone(request.phone)
        refuse_malformed(request.code)
        async with self.ctx.store.transaction() as tx:
            outcome = await attempt_code(self.ctx, tx, index, LOGIN, request.code)
            if not isinstance(outcome, Refusal):
                return await self._log_in(tx, outcome, phone, index)
        raise outcome

    async def _log_in(self, tx: Transaction, code_id: int, phone: str, index: str) -> LoggedIn:
        """Use the code up, register the phone's party if it is new, and open a session."""
        new_id, now = uuid.uuid4(), self.ctx.now()
        kid, sealed = self.ctx.vault.seal(phone, phone_context(new_id))
        until = now + self.ctx.seconds(self.ctx.settings.session_ttl_seconds)
        login = codes_sql.LoginWrite(
            code_id, postgres.PartyRow(new_id, kid, sealed), index, uuid.uuid4(), now, until
        )
        registration = postgres.new_events(
            new_id, register(Party()), correlation_id(), now, after=0
        )
        party_id, new_party = await codes_sql.log_in(tx, login, registration)
        token = encode_session(
            SessionClaims(login.session_id, party_id, until), self.ctx.session_key
        )
        return LoggedIn(
            session_token=token, party_id=party_id, expires_at=until, new_party=new_party
        )

    async def resolve_session(self, request: SessionToken) -> SessionResolved:
        claims = decode_session(request.session_token, self.ctx.session_key, self.ctx.now())
        state = await codes_sql.session_state(
            self.ctx.store.pool, self.ctx.schema, claims.session_id
        )
        if state != "active":
            raise session_refusal("session_revoked" if state == "revoked" else "session_invalid")
        return SessionResolved(party_id=claims.party_id, expires_at=claims.expires_at)

    async def revoke_session(self, request: SessionToken) -> SessionRevoked:
        claims = decode_session(request.session_token, self.ctx.session_key, self.ctx.now())
        await codes_sql.revoke_session(
            self.ctx.store.pool, self.ctx.schema, claims.session_id, self.ctx.now()
        )
        return SessionRevoked(revoked=True)

    async def dev_inbox(self, request: DevInboxRequest) -> DevInbox:
        if self.ctx.env not in ("dev", "test"):
            raise Refusal(
                "not_available",
                "the development inbox exists only when JIETIAO_ENV is dev or test",
                message_zh="开发收件箱仅在开发或测试环境可用",
            )
        _, index = self._phone(request.phone)
        rows = await codes_sql.dev_messages(self.ctx.store.pool, self.ctx.schema, index)
        return DevInbox(messages=[DevMessage(purpose=p, code=c, sent_at=t) for p, c, t in rows])
