"""Wiring of the drafting service: its migrations, consumers and command handlers.

Commands (NATS request/reply on `<namespace>.cmd.drafting.<name>`, models in `api`):

- `draft_note` {actor_party_id, note_id?, accepted_disclaimer_version, counterparty:
  {display_name, phone}, terms} → NoteRef {note_id, note_version, status}
- `amend_terms` {note_id, actor_party_id, terms} → NoteRef
- `amend_counterparty_contact` {note_id, actor_party_id, counterparty} → NoteRef
- `invite_counterparty`, `reissue_invitation` {note_id, actor_party_id} →
  InvitationIssued {note_id, token, expires_at}: the token is shown once, only its hash is kept
- `revoke_invitation` {note_id, actor_party_id} → NoteRef
- `accept_invitation` {token, party_id}: the invitee, verified with identity first → NoteRef
- `submit_for_signing` {note_id, actor_party_id} → Frozen {note_id, note_version,
  document_digest, document}: what the initiator signs
- `cancel_note` {note_id, actor_party_id, reason} → NoteRef
- `get_note` {note_id, actor_party_id}: a party of the note → NoteView (masked ID and phone)
- `preview` {terms} → PreviewResult {valid, problems, capitals, rate_check, schedule, totals};
  saves nothing (live form validation)

`terms` is one of `IouTerms`, `ReceiptTerms`, `ContractTerms` (`shared.catalogue.drafting`),
told apart by `terms.template`. A refusal is `CommandRejected(code=<rule>, message, message_zh,
field)`: the rule codes are those of `services.drafting.domain` (e.g. `above_limit`,
`above_cap`, `term_too_long`, `interest_deducted_in_advance`, `too_young`, `terms_locked`,
`invitation_expired`), plus `invalid_request`, `note_not_found`, `note_exists`,
`concurrent_update` and `identity_unavailable`.

Personal data and secrets on the wire: the counterparty's display name and phone travel in
`draft_note` / `amend_counterparty_contact` requests and the `get_note` reply (name in clear,
phone masked), the invitation token in the `invite_counterparty` reply and the
`accept_invitation` request. These are point-to-point core NATS request/reply messages, never
stored in a JetStream stream; events hold only commitments and the token's SHA-256.

Consumed: signing's `PartySigned`, which locks the terms of the frozen version it signs, and
`SignatureDeclined`, which ends the note (`NoteDeclined`).
Calls: identity's `party_profile` (with `age_on` for an IOU's start date, and with the invited
name when a counterparty joins) and `match_name` when the initiator amends the contact (see
`ports`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from faststream.nats import NatsBroker

from services.drafting import api
from services.drafting.adapters.identity import NatsIdentity
from services.drafting.adapters.vault import ContactVault
from services.drafting.handlers import Drafting
from services.drafting.handlers.signatures import SIGNING_OUTCOMES
from services.drafting.ports import IdentityPort
from services.drafting.settings import DraftingSettings
from services.drafting.store import NoteStore, load_lpr_table
from shared.bus.consumer import Consumer, subscribe
from shared.commands import CommandModel, register_command
from shared.runtime import ServiceContext, ServiceDefinition
from shared.store import EventStore, migrations_in
from shared.subjects import Naming

SERVICE = "drafting"
Request = TypeVar("Request", bound=CommandModel)


def build(
    store: EventStore, identity: IdentityPort, settings: DraftingSettings | None = None
) -> Drafting:
    settings = settings or DraftingSettings()
    return Drafting(
        NoteStore(store),
        identity,
        ContactVault(settings.contact_key(), settings.key_id),
        load_lpr_table(),
        invitation_validity=timedelta(days=settings.invitation_validity_days),
    )


def register(broker: NatsBroker, naming: Naming, drafting: Drafting) -> None:
    """Answer every drafting command on `broker`."""

    def on(name: str, model: type[Request], handler: Callable[[Request], Awaitable[Any]]) -> None:
        register_command(broker, naming, SERVICE, name, model, handler)

    on("draft_note", api.DraftNote, drafting.draft_note)
    on("amend_terms", api.AmendTerms, drafting.amend_terms)
    on(
        "amend_counterparty_contact",
        api.AmendCounterpartyContact,
        drafting.amend_counterparty_contact,
    )
    on("invite_counterparty", api.NoteCommand, drafting.invite_counterparty)
    on("reissue_invitation", api.NoteCommand, drafting.reissue_invitation)
    on("revoke_invitation", api.NoteCommand, drafting.revoke_invitation)
    on("accept_invitation", api.AcceptInvitation, drafting.accept_invitation)
    on("submit_for_signing", api.NoteCommand, drafting.submit_for_signing)
    on("cancel_note", api.CancelNote, drafting.cancel_note)
    on("get_note", api.NoteCommand, drafting.get_note)
    on("preview", api.Preview, drafting.preview)


def wire(context: ServiceContext) -> None:
    # Everything the process holds is made here, per process: nothing lives in the module.
    commands = context.commands
    drafting = build(context.store, NatsIdentity(lambda: commands))
    register(context.broker, context.naming, drafting)
    locks = Consumer(
        "drafting-locks", ("signing",), drafting.on_signing_outcome, event_types=SIGNING_OUTCOMES
    )
    subscribe(context.broker, locks, context.store, context.naming)


service = ServiceDefinition(
    name=SERVICE, migrations=migrations_in("services.drafting", SERVICE), wire=wire
)
