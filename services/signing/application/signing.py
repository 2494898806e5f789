"""Use cases: sign a note, decline to sign it."""

from __future__ import annotations

from services.signing.application import keys
from services.signing.application.appending import Decision, decide_and_append, load
from services.signing.application.common import (
    check_of,
    parse_handwriting,
    redeem,
)
from services.signing.application.context import SigningContext
from services.signing.application.models import (
    DeclineRequest,
    SignRequest,
    SignResult,
    StatusResult,
)
from services.signing.domain.decisions import (
    check_can_sign,
    decline,
    message_to_sign,
    party_signed,
    signer_facts,
)
from services.signing.domain.messages import SIGN_FORMAT
from services.signing.domain.state import NoteSigning, Status
from shared.catalogue.signing import PartySigned


def actor(party_id: object) -> str:
    return f"party:{party_id}"


async def sign(ctx: SigningContext, request: SignRequest) -> SignResult:
    handwriting = parse_handwriting(request.handwriting)
    ref = handwriting.ref
    note_id, party_id, digest = request.note_id, request.party_id, request.document_digest
    # Everything that can be refused is checked before the ticket is spent.
    state = await load(ctx, note_id)
    check_can_sign(state, party_id, digest, request.intent_confirmed)
    authorisation = await redeem(ctx, request.ticket, state, party_id, digest, "sign")
    key = await keys.ensure_key(ctx, party_id)
    save_handwriting = keys.handwriting_write(ctx, handwriting)

    async def decide(state: NoteSigning) -> Decision:
        check_can_sign(state, party_id, digest, request.intent_confirmed)
        facts = signer_facts(state, party_id, ref, check_of(state, authorisation))
        signature = keys.sign(ctx, key, authorisation, message_to_sign(state, facts), SIGN_FORMAT)
        return Decision([party_signed(state, facts, ref, signature)], [save_handwriting])

    appended = await decide_and_append(ctx, note_id, actor(party_id), decide, already_read=state)
    event = appended.envelopes[0].payload
    assert isinstance(event, PartySigned)
    return SignResult(
        note_id=note_id,
        status=appended.state.status.value,
        sequence=event.sequence,
        key_id=event.signature.key_id,
        signature=event.signature.value,
        completed=appended.state.status is Status.COMPLETED,
        final_digest=appended.state.final_digest,
    )


async def decline_signing(ctx: SigningContext, request: DeclineRequest) -> StatusResult:
    async def decide(state: NoteSigning) -> Decision:
        return Decision([decline(state, request.party_id, request.document_digest, request.reason)])

    appended = await decide_and_append(ctx, request.note_id, actor(request.party_id), decide)
    return StatusResult(note_id=request.note_id, status=appended.state.status.value)
