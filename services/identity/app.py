"""Wiring of the identity service: its migrations and its commands.

Identity is the only service holding personal data (phone numbers, legal names, ID numbers);
everyone else sees a `party_id`, a masked ID and an identity commitment. Commands are NATS
request/reply on `<namespace>.cmd.identity.<name>` (see `shared.commands`); each refusal has a
`code`, an English and a Chinese message and the offending `field`. Malformed requests are
refused with `invalid_request`.

Login and sessions (gateway):
- `request_login_code {phone}` → `{sent_to (masked), expires_at}`; sends a 6-digit code valid
  5 minutes. Refusals: `phone_invalid`, `code_rate_limited` (one per minute, five per hour).
- `verify_login_code {phone, code}` → `{session_token, party_id, expires_at, new_party}`; the first
  login registers the party. Refusals: `code_format`, `code_wrong` (message gives the attempts
  left), `code_expired`, `code_too_many_attempts` (5 wrong: ask a new code), `code_not_requested`.
- `resolve_session {session_token}` → `{party_id, expires_at}`; `revoke_session {session_token}`
  → `{revoked}`. Refusals: `session_invalid`, `session_expired`, `session_revoked`.
- `dev_inbox {phone}` → `{messages: [{purpose, code, sent_at}]}`, newest first, the codes the
  development SMS sender "sent"; refused with `not_available` unless `JIETIAO_ENV` is dev/test.

Verification (gateway, after `resolve_session`):
- `submit_identity {party_id, legal_name, id_number}` → `{party_id, verified, masked_id,
  commitment, provider_kind}`; GB 11643 check, then the real-name provider. Refusals:
  `legal_name_invalid`, `id_number_legacy|length|characters|region|birth_date|check_character`,
  `party_unknown`, `already_verified`, `identity_in_use`, `identity_rejected`.
- `verify_face {party_id, image_base64}` → `{check_id, method: "face", valid_until}`. The image is
  checked and dropped, never stored. Refusals: `image_invalid`, `not_verified`,
  `face_check_failed`.
- The non-face alternative: `request_alternative_code {party_id}` → `{sent_to, expires_at}` (SMS
  to the account's own phone), then `verify_alternative {party_id, code, bank_card_number}` →
  `{check_id, method: "sms_bank_card", valid_until}`. Refusals: the code ones above,
  `not_verified`, `bank_card_mismatch`.
- `issue_ticket {party_id, note_id, document_digest (64 hex), purpose: "sign"|"void"}` →
  `{ticket, ticket_id, method, expires_at}`; uses up the latest check, which must be less than
  `JIETIAO_IDENTITY_CHECK_WINDOW_SECONDS` old. Refusals: `party_unknown`, `not_verified`,
  `check_required`.

Other services:
- `redeem_ticket {ticket, party_id, note_id, document_digest, purpose, identity_commitment}` →
  `{ticket_id, method}`; `identity_mismatch` (the ticket unspent) unless the party is verified as
  `identity_commitment`, the identity the caller holds for it.
  Refusals: `ticket_invalid`, `ticket_expired`, `ticket_replayed`, `ticket_wrong_note`,
  `ticket_wrong_digest`, `ticket_wrong_party`, `ticket_wrong_purpose`. Exactly one of concurrent
  redemptions of one ticket wins.
- `ticket_public_key {}` → `{kid, algorithm: "Ed25519", public_key (base64 raw), public_key_pem}`;
  also published once as the event `TicketKeyPublished`. Ticket format: see
  `services.identity.domain.tickets`.
- `party_profile {party_id, age_on?: "YYYY-MM-DD", name?}` → `{party_id, verified, masked_id,
  commitment, age, name_matches}` (an unknown party is not verified). `age` is null unless
  `age_on` is given, else `{eligible, reason: null|"too_young"|"too_old"|"not_verified"}` (22 to
  60 inclusive, completed years on `age_on`): a yes/no and a reason, never the birth date.
  `name_matches` is null unless `name` is given, else whether it is the verified legal name.
- `match_name {party_id, name}` → `{matches}`; the legal name never leaves identity.

Events (`shared.catalogue.identity`, stream type `party`): `PartyRegistered`, `IdentityVerified`,
`IdentityRejected`, `SigningTicketIssued`, `SigningTicketRedeemed`; and `TicketKeyPublished`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from faststream.nats import NatsBroker
from pydantic import BaseModel

from services.identity.adapters.providers import (
    DevelopmentBankCardVerifier,
    DevelopmentFaceVerifier,
    DevelopmentRealNameProvider,
    LoggingSmsSender,
)
from services.identity.adapters.vault import StaticKeyring, Vault
from services.identity.application import models as m
from services.identity.application.context import (
    Clock,
    IdentityContext,
    Providers,
    utc_now,
)
from services.identity.application.login import Login
from services.identity.application.presence import PresenceChecks
from services.identity.application.queries import Queries
from services.identity.application.tickets import Tickets
from services.identity.application.verification import Verification
from services.identity.settings import IdentitySettings, MissingKeysError, load_keys
from shared.commands import register_command
from shared.runtime import ServiceContext, ServiceDefinition
from shared.store import EventStore, migrations_in
from shared.subjects import Naming

SERVICE = "identity"


def development_providers() -> Providers:
    return Providers(
        sms=LoggingSmsSender(),
        real_name=DevelopmentRealNameProvider(),
        face=DevelopmentFaceVerifier(),
        bank_card=DevelopmentBankCardVerifier(),
    )


def build_context(
    store: EventStore,
    env: str,
    settings: IdentitySettings | None = None,
    providers: Providers | None = None,
    clock: Clock = utc_now,
) -> IdentityContext:
    settings = settings or IdentitySettings()
    keys = load_keys(settings, env)
    if providers is None:
        if env == "prod":
            # The development providers accept anyone: in production that would be no check.
            raise MissingKeysError("identity needs real SMS, KYC, face and bank-card providers")
        providers = development_providers()
    vault = Vault(StaticKeyring(keys.vault_keys), keys.hmac_key)
    return IdentityContext(store, settings, keys, vault, providers, env, clock)


def register_commands(broker: NatsBroker, naming: Naming, ctx: IdentityContext) -> None:
    login, verification, presence = Login(ctx), Verification(ctx), PresenceChecks(ctx)
    tickets, queries = Tickets(ctx), Queries(ctx)
    commands: dict[str, tuple[type[BaseModel], Callable[[Any], Awaitable[BaseModel]]]] = {
        "request_login_code": (m.RequestLoginCode, login.request_code),
        "verify_login_code": (m.VerifyLoginCode, login.verify_code),
        "resolve_session": (m.SessionToken, login.resolve_session),
        "revoke_session": (m.SessionToken, login.revoke_session),
        "dev_inbox": (m.DevInboxRequest, login.dev_inbox),
        "submit_identity": (m.SubmitIdentity, verification.submit_identity),
        "verify_face": (m.VerifyFace, presence.verify_face),
        "request_alternative_code": (
            m.RequestAlternativeCode,
            presence.request_alternative_code,
        ),
        "verify_alternative": (m.VerifyAlternative, presence.verify_alternative),
        "issue_ticket": (m.IssueTicket, tickets.issue),
        "redeem_ticket": (m.RedeemTicket, tickets.redeem),
        "ticket_public_key": (m.NoArguments, tickets.public_key_info),
        "party_profile": (m.PartyProfileRequest, queries.party_profile),
        "match_name": (m.MatchName, queries.match_name),
    }
    for name, (model, handle) in commands.items():
        register_command(broker, naming, SERVICE, name, model, handle)


def wire(context: ServiceContext) -> None:
    ctx = build_context(context.store, context.settings.env)
    register_commands(context.broker, context.naming, ctx)


service = ServiceDefinition(
    name=SERVICE, migrations=migrations_in("services.identity", SERVICE), wire=wire
)
