"""Wiring of the signing service: its migrations, its consumer of drafting, its commands, and
the sweep that expires void requests.

Commands are NATS request/reply on `<namespace>.cmd.signing.<name>` (see `shared.commands`);
a refusal has a `code`, English and Chinese messages and the offending `field`; malformed
requests are refused with `invalid_request`. Identity's ticket refusals (`ticket_invalid`,
`ticket_expired`, `ticket_replayed`, `ticket_wrong_note|digest|party|purpose`) pass through;
identity not answering is `identity_unavailable`. Everything refusable is checked before the
ticket is redeemed, so a refused request does not spend it. `busy`: the note kept changing
under the request (optimistic concurrency gave up after several retries).

- `sign {note_id, party_id, document_digest, ticket, intent_confirmed, handwriting: {strokes:
  [[[x, y, t_ms], ...], ...], png_base64}}` → `{note_id, status, sequence, key_id, signature,
  completed, final_digest}`. Refusals: `already_signed`, `not_a_party`, `not_a_signer`,
  `note_declined`, `note_cancelled`, `note_completed`, `note_voided`, `stale_digest`,
  `not_open_for_signing`, `not_your_turn`, `intent_not_confirmed`, `identity_mismatch`,
  `handwriting_empty|too_few_points|degenerate|out_of_bounds|bad_timing|oversized|png_invalid`.
  A receipt is signed by its payee alone, an IOU or contract by the initiator, then the
  counterparty; the note completes (`NoteCompleted`, the stamp) once drafting locked the terms.
- `decline {note_id, party_id, document_digest, reason}` → `{note_id, status}`. Refusals: as
  `sign`'s state ones, `cannot_decline`, `reason_required`.
- `request_void {note_id, party_id, reason_code: wrong_terms|wrong_party|settled|
  agreement_ended|other, reason_text, ticket, intent_confirmed, handwriting}` → `{note_id,
  void_id, expires_at}`; the ticket is for the note's final digest, purpose `void`. Refusals:
  `note_not_completed`, `note_voided`, `void_already_open`, `reason_text_required`,
  `reason_text_too_long`, plus `sign`'s party, intent, identity and handwriting ones.
- `sign_void {note_id, party_id, void_id, ticket, intent_confirmed, handwriting}` → `{note_id,
  status: "voided"}`. Refusals: `void_not_open`, `void_expired`, `void_own_request` (nobody
  voids alone), plus `sign`'s party, intent, identity and handwriting ones.
- `decline_void {note_id, party_id, void_id, reason}`, `withdraw_void {note_id, party_id,
  void_id}` → `{note_id, status}`. Refusals: `void_not_open`, `void_own_request`,
  `not_requester`.
- `get_note_signing_state {note_id}` → status (`awaiting_document|open|declined|cancelled|
  completed|voided`), version, digest, signers, who signed, next signer, final digest, the open
  void. `get_signatures {note_id}` → each signature with its public key.
- `stamp {note_id, format: svg|png}` → `{media_type, content_base64, final_digest, completed_at}`
  (refused `not_completed`).

Consumed: drafting's `NoteFrozenForSigning`, `NoteTermsAmended`, `CounterpartyContactAmended`,
`NoteCancelled`, `NoteTermsLocked`. Calls: identity's `redeem_ticket`.
Events: `shared.catalogue.signing`. Offline verification: `services.signing.domain.verification`.
Settings: `services.signing.settings` (`JIETIAO_SIGNING_KEYS`, `..._VOID_TTL_DAYS`, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.nats import NatsBroker
from pydantic import BaseModel

from services.signing.adapters.identity import IdentityPort, NatsIdentity
from services.signing.adapters.vault import Vault
from services.signing.application import drafting, queries, signing, voiding
from services.signing.application import models as m
from services.signing.application.context import Clock, SigningContext, utc_now
from services.signing.domain.drafting_facts import DRAFTING_EVENTS
from services.signing.settings import SigningSettings, vault_keys
from shared.bus.consumer import Consumer, subscribe
from shared.commands import register_command
from shared.events import Envelope
from shared.logging import get_logger
from shared.runtime import ServiceContext, ServiceDefinition
from shared.store import EventStore, Transaction, migrations_in
from shared.subjects import Naming

SERVICE = "signing"
CONSUMER = "signing.drafting-notes"
log = get_logger(__name__)


def build_context(
    store: EventStore,
    identity: IdentityPort,
    env: str,
    settings: SigningSettings | None = None,
    clock: Clock = utc_now,
) -> SigningContext:
    settings = settings or SigningSettings()
    return SigningContext(store, identity, Vault(vault_keys(settings, env)), settings, clock)


Handler = Callable[[Any], Awaitable[BaseModel]]


def register_commands(broker: NatsBroker, naming: Naming, ctx: SigningContext) -> None:
    def bound(use_case: Callable[[SigningContext, Any], Awaitable[BaseModel]]) -> Handler:
        return lambda request: use_case(ctx, request)

    commands: dict[str, tuple[type[BaseModel], Handler]] = {
        "sign": (m.SignRequest, bound(signing.sign)),
        "decline": (m.DeclineRequest, bound(signing.decline_signing)),
        "request_void": (m.RequestVoidRequest, bound(voiding.request_void)),
        "sign_void": (m.SignVoidRequest, bound(voiding.sign_void)),
        "decline_void": (m.AnswerVoidRequest, bound(voiding.decline_void)),
        "withdraw_void": (m.AnswerVoidRequest, bound(voiding.withdraw_void)),
        "get_note_signing_state": (m.NoteRequest, bound(queries.signing_state)),
        "get_signatures": (m.NoteRequest, bound(queries.signatures)),
        "stamp": (m.StampRequest, bound(queries.stamp)),
    }
    for name, (model, handle) in commands.items():
        register_command(broker, naming, SERVICE, name, model, handle)


def drafting_consumer(ctx: SigningContext) -> Consumer:
    """Drafting's note events → which version is open for signing, and its lock."""

    async def handle(envelope: Envelope, tx: Transaction) -> None:
        await drafting.record(ctx, envelope, tx)

    return Consumer(CONSUMER, sources=("drafting",), handle=handle, event_types=DRAFTING_EVENTS)


async def sweep_until(ctx: SigningContext, interval: float, stopping: asyncio.Event) -> None:
    """Expire due void requests every `interval` seconds until `stopping` is set. Replicas may
    sweep together: the appends' optimistic concurrency lets one expiry through."""
    while not stopping.is_set():
        try:
            expired = await voiding.expire_due_voids(ctx)
            if expired:
                log.info("void requests expired", count=expired)
        except Exception:  # the sweep must outlive a database hiccup
            log.exception("void expiry sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval)


def wire(context: ServiceContext) -> None:
    # Everything the process holds is made here, per process: nothing lives in the module.
    ctx = build_context(context.store, NatsIdentity(context.commands), context.settings.env)
    register_commands(context.broker, context.naming, ctx)
    subscribe(context.broker, drafting_consumer(ctx), context.store, context.naming)
    interval = ctx.settings.sweep_interval_seconds
    context.in_background(lambda: sweep_until(ctx, interval, context.stopping))


service = ServiceDefinition(
    name=SERVICE, migrations=migrations_in("services.signing", SERVICE), wire=wire
)
