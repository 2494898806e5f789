"""The consumer of drafting's note events: which version is open for signing, and when the
terms are locked (the note completes only once drafting has locked what was signed)."""

from __future__ import annotations

from services.signing.application.appending import Decision, decide_and_append
from services.signing.application.context import SigningContext
from services.signing.domain.drafting_facts import record_drafting_event
from services.signing.domain.state import NoteSigning
from shared.events import Envelope
from shared.store import Transaction


async def record(ctx: SigningContext, envelope: Envelope, tx: Transaction) -> None:
    async def decide(state: NoteSigning) -> Decision:
        return Decision(record_drafting_event(state, envelope))

    await decide_and_append(
        ctx,
        envelope.stream_id,
        "signing",
        decide,
        within=tx,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.event_id,
    )
