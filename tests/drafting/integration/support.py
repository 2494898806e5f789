"""Drafting on a real broker, with a stand-in for the identity service answering over real NATS."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import nats
from faststream.nats import NatsBroker

from services.drafting.adapters.identity import NatsIdentity
from services.drafting.app import build, register
from services.drafting.handlers import Drafting
from shared.commands import CommandClient, CommandModel, register_command, serve_commands
from shared.config import Settings
from shared.store import EventStore
from shared.subjects import Naming


@dataclass
class Person:
    legal_name: str
    birth_date: date
    verified: bool = True
    masked_id: str = "1101**********002X"

    @property
    def commitment(self) -> str:
        return uuid.uuid5(uuid.NAMESPACE_OID, self.legal_name).hex * 2


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass
class IdentityStandIn:
    """Fixed answers in the shape the identity service's commands promise."""

    people: dict[uuid.UUID, Person] = field(default_factory=dict)
    # Each `party_profile` asked, with its `age_on`: one per party and command is the budget.
    profile_questions: list[tuple[uuid.UUID, date | None]] = field(default_factory=list)

    def add(self, person: Person) -> uuid.UUID:
        party_id = uuid.uuid4()
        self.people[party_id] = person
        return party_id

    def person(self, party_id: uuid.UUID) -> Person:
        # Like the identity service: an unknown party is simply not verified.
        return self.people.get(party_id, Person("", date(1990, 1, 1), verified=False))


class PartyRequest(CommandModel):
    party_id: uuid.UUID


class ProfileRequest(PartyRequest):
    age_on: date | None = None
    name: str | None = None


class NameRequest(PartyRequest):
    name: str


class Answer(CommandModel):
    model_config = CommandModel.model_config | {"extra": "allow"}


def register_identity(broker: NatsBroker, naming: Naming, identity: IdentityStandIn) -> None:
    def age_answer(person: Person, on: date) -> dict[str, Any]:
        age = age_on(person.birth_date, on)
        reason = None if 22 <= age <= 60 else ("too_young" if age < 22 else "too_old")
        if not person.verified:
            reason = "not_verified"
        return {"eligible": reason is None, "reason": reason}

    async def party_profile(request: ProfileRequest) -> Answer:
        identity.profile_questions.append((request.party_id, request.age_on))
        person = identity.person(request.party_id)
        return Answer(
            party_id=str(request.party_id),
            verified=person.verified,
            masked_id=person.masked_id if person.verified else None,
            commitment=person.commitment if person.verified else None,
            age=age_answer(person, request.age_on) if request.age_on else None,
            name_matches=person.legal_name == request.name if request.name is not None else None,
        )

    async def match_name(request: NameRequest) -> Answer:
        return Answer(matches=identity.person(request.party_id).legal_name == request.name)

    register_command(broker, naming, "identity", "party_profile", ProfileRequest, party_profile)
    register_command(broker, naming, "identity", "match_name", NameRequest, match_name)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Running:
    drafting: Drafting
    client: CommandClient
    identity: IdentityStandIn
    clock: Clock

    async def call(self, name: str, request: dict[str, Any]) -> dict[str, Any]:
        return await self.client.call("drafting", name, request)


@contextlib.asynccontextmanager
async def running_drafting(
    settings: Settings, store: EventStore, nc: nats.NATS
) -> AsyncIterator[Running]:
    naming = Naming(settings.namespace)
    client = CommandClient(nc, naming)
    identity, clock = IdentityStandIn(), Clock()
    drafting = build(store, NatsIdentity(lambda: client))
    drafting.clock = clock
    broker = NatsBroker(settings.nats_url, log_level=logging.DEBUG)
    register(broker, naming, drafting)
    register_identity(broker, naming, identity)
    await broker.start()
    await serve_commands(broker)
    # The server must have seen every subscription before the first request, or it may answer
    # "no responders": one round trip on the broker's connection makes sure.
    await broker.connection.flush()
    try:
        yield Running(drafting, client, identity, clock)
    finally:
        await broker.stop()
