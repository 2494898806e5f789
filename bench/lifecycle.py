"""Drive complete IOU lifecycles against the RUNNING services over NATS commands.

API (everything else in this module is private):

- `await run_lifecycles(settings, pairs, notes_per_pair=1, anchor_timeout=60.0,
  arrival_rate=None, give_up_after=300.0, reply_timeout=30.0) -> LifecycleRun`: `pairs`
  simulated user pairs run concurrently (or, with `arrival_rate`, start one after the other at
  that many pairs per second: an open-loop load). Each pair logs in with the development inbox's
  SMS code, submits generated valid GB 11643 ID numbers and names, then runs `notes_per_pair` IOUs
  one after the other: draft → invite → accept → submit → (signing opens it) → face check and
  ticket → the initiator signs → face check and ticket → the counterparty signs → `NoteCompleted`
  → every event of the note and of both parties has its leaf in the evidence log. The driver is a
  resilient client, as an app would be (see "Retries"). A genuine refusal, or a command still
  failing at the deadline, ends that pair and is recorded, never raised (so a fault-injection run
  counts failures instead of stopping). The services need `JIETIAO_ENV` dev or test (the
  development inbox, SMS sender and identity providers).
- `LifecycleRun`: `outcomes` (one `NoteOutcome` per started note), `latencies` (command name →
  reply latencies in seconds, one per ANSWERED attempt: a refusal is an answer, a timeout is
  not), `retries` (command name → attempts sent again) and `retry_reasons` ("<command>: <refusal
  code or exception>" → count), `second_signature_to_completed` and `commit_to_anchored`
  (seconds, one per completed note / per event of the run), `elapsed` (first command → last
  note anchored or `anchor_timeout`), `events` (events the services appended in the run,
  evidence's own excluded), and the rates `lifecycles_per_second`, `events_per_second`.
- `NoteOutcome`: `note_id` (None if the pair failed before drafting), `completed`, `anchored`,
  `error` ("<step>: <code>"), `steps` (step → seconds), `ok` (completed and anchored).
- `bench.stack.running_stack(settings, replicas={service: count})`: an async context manager
  that migrates the namespace and runs the services as `jietiao serve` processes until exit.

Retries: a command that went unanswered (timeout, no responders, a connection reconnecting or
closed) or was refused for a passing reason (`TRANSIENT`) is sent again with a growing pause
until `give_up_after` seconds from the start of the run. Every command is safe to repeat: the
note id is chosen here, so a second `draft_note` is refused `note_exists`; after a repeat, the
refusal that means "your first attempt did it" counts as success and the step re-reads what it
needs (the digest by `get_note`, a new invitation token, a new check and ticket); a spent login
code means asking for a new one. A refusal of bad input is never retried.

Times: a command's reply latency is measured here; "second signature → NoteCompleted" is from
sending the counterparty's `sign` to the commit of signing's `NoteCompleted`; "commit →
anchored" from an event's commit to the commit of its `EvidenceAnchored` (PostgreSQL's
transaction timestamps, same machine clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import nats
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from bench.people import FACE_PNG, HANDWRITING, Identity, iou_terms, new_identity
from bench.stack import Stack, running_stack
from shared.commands import CommandClient, CommandRejected
from shared.config import Settings
from shared.subjects import Naming

__all__ = ["LifecycleRun", "NoteOutcome", "Stack", "run_lifecycles", "running_stack"]

SOURCES = ("drafting", "identity", "signing")
# Refusals that say "not now" rather than "no": the same request may succeed in a moment.
TRANSIENT = frozenset(
    {"internal", "unavailable", "identity_unavailable", "busy", "concurrent_update"}
)
# What "unanswered" looks like to a NATS requester (timeouts are asyncio's TimeoutError).
UNANSWERED = (TimeoutError, nats.errors.Error, OSError)
# A reply slower than this counts as lost and the command goes again: longer than the slowest
# answers under the benchmark's loads (a shared 2-core machine), so retries stay rare there.
REPLY_TIMEOUT = 30.0


@dataclass
class NoteOutcome:
    note_id: str | None = None
    completed: bool = False
    anchored: bool = False
    error: str | None = None
    steps: dict[str, float] = field(default_factory=dict)
    parties: tuple[str, str] = ("", "")
    second_signature_sent: float | None = None  # wall clock (time.time())

    @property
    def ok(self) -> bool:
        return self.completed and self.anchored and self.error is None


@dataclass
class LifecycleRun:
    outcomes: list[NoteOutcome]
    latencies: dict[str, list[float]]
    second_signature_to_completed: list[float]
    commit_to_anchored: list[float]
    elapsed: float
    events: int
    retries: dict[str, int] = field(default_factory=dict)
    retry_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def retried(self) -> int:
        return sum(self.retries.values())

    @property
    def completed(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def lifecycles_per_second(self) -> float:
        return self.completed / self.elapsed

    @property
    def events_per_second(self) -> float:
        return self.events / self.elapsed

    @property
    def command_latencies(self) -> list[float]:
        return [s for samples in self.latencies.values() for s in samples]


class _Client:
    """Commands, retried until they are answered (see the module); each answer timed under its
    command name."""

    def __init__(
        self,
        nc: NatsClient,
        settings: Settings,
        deadline: float,
        reply_timeout: float = REPLY_TIMEOUT,
    ) -> None:
        self.commands = CommandClient(nc, Naming(settings.namespace), timeout=reply_timeout)
        self.deadline = deadline  # time.perf_counter() value
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.retries: dict[str, int] = defaultdict(int)
        self.retry_reasons: dict[str, int] = defaultdict(int)  # "<command>: <why>" → count

    async def call(
        self,
        service: str,
        name: str,
        *,
        done_if: frozenset[str] = frozenset(),
        repeat: bool = False,
        **request: Any,
    ) -> dict[str, Any] | None:
        """The result; or None when a repeat (any attempt but the first, or every one if
        `repeat`) was refused with one of `done_if`: an attempt whose answer was lost did it."""
        attempt = int(repeat)
        while True:
            try:
                return await self._once(service, name, request)
            except CommandRejected as refused:
                if attempt and refused.code in done_if:
                    return None
                if refused.code not in TRANSIENT or self.late():
                    raise
                reason = refused.code
            except UNANSWERED as error:
                if self.late():
                    raise
                reason = type(error).__name__
            attempt += 1
            self.retries[name] += 1
            self.retry_reasons[f"{name}: {reason}"] += 1
            await asyncio.sleep(min(0.2 * 2**attempt, 5.0))

    async def _once(self, service: str, name: str, request: dict[str, Any]) -> dict[str, Any]:
        # Answered attempts only (a refusal is an answer); unanswered ones count as retries.
        started = time.perf_counter()
        try:
            result = await self.commands.call(service, name, request)
        except CommandRejected:
            self.latencies[name].append(time.perf_counter() - started)
            raise
        self.latencies[name].append(time.perf_counter() - started)
        return result

    def late(self) -> bool:
        return time.perf_counter() > self.deadline


class _Step:
    """Names the step an error happened in, and times it."""

    def __init__(self, outcome: NoteOutcome, name: str) -> None:
        self.outcome, self.name = outcome, name

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: Any
    ) -> None:
        self.outcome.steps[self.name] = time.perf_counter() - self.started
        if error is not None and self.outcome.error is None:
            code = error.code if isinstance(error, CommandRejected) else type(error).__name__
            self.outcome.error = f"{self.name}: {code}"


class _Person:
    def __init__(self, client: _Client, identity: Identity) -> None:
        self.client, self.identity, self.party_id = client, identity, ""

    async def verify(self) -> None:
        self.party_id = await self._login()
        await self.client.call(
            "identity",
            "submit_identity",
            done_if=frozenset({"already_verified"}),
            party_id=self.party_id,
            legal_name=self.identity.legal_name,
            id_number=self.identity.id_number,
        )

    async def _login(self) -> str:
        spent: set[tuple[str, str]] = set()
        while True:
            code = await self._new_login_code(spent)
            login = await self.client.call(
                "identity",
                "verify_login_code",
                done_if=frozenset({"code_not_requested"}),
                phone=self.identity.phone,
                code=code[0],
            )
            if login is not None:
                return str(login["party_id"])
            spent.add(code)  # a lost answer logged in with it: the next login needs a new one

    async def _new_login_code(self, spent: set[tuple[str, str]]) -> tuple[str, str]:
        """(code, sent_at) of a login code not used yet, asking for one as often as allowed."""
        phone = self.identity.phone
        while True:
            try:
                await self.client.call(
                    "identity",
                    "request_login_code",
                    done_if=frozenset({"code_rate_limited"}),
                    phone=phone,
                )
            except CommandRejected as refused:
                if refused.code != "code_rate_limited" or self.client.late():
                    raise
            inbox = await self.client.call("identity", "dev_inbox", phone=phone)
            assert inbox is not None
            codes = [
                (m["code"], m["sent_at"]) for m in inbox["messages"] if m["purpose"] == "login"
            ]
            if fresh := [c for c in codes if c not in spent]:
                return fresh[0]  # newest first
            await asyncio.sleep(2.0)  # the minute between two codes has not passed yet

    async def sign(self, note_id: str, digest: str) -> None:
        repeat = False
        while True:
            ticket = await self._ticket(note_id, digest)
            try:
                await self.client.call(
                    "signing",
                    "sign",
                    done_if=frozenset({"already_signed"}),
                    repeat=repeat,
                    note_id=note_id,
                    party_id=self.party_id,
                    document_digest=digest,
                    ticket=ticket,
                    intent_confirmed=True,
                    handwriting=HANDWRITING,
                )
                return
            except CommandRejected as refused:
                # Redeemed by an attempt whose answer was lost: a new check and ticket.
                if refused.code not in {"ticket_replayed", "ticket_expired"} or self.client.late():
                    raise
                repeat = True

    async def _ticket(self, note_id: str, digest: str) -> str:
        while True:
            await self.client.call(
                "identity", "verify_face", party_id=self.party_id, image_base64=FACE_PNG
            )
            ticket = await self.client.call(
                "identity",
                "issue_ticket",
                # A lost answer's ticket used up the check: check again.
                done_if=frozenset({"check_required"}),
                party_id=self.party_id,
                note_id=note_id,
                document_digest=digest,
                purpose="sign",
            )
            if ticket is not None:
                return str(ticket["ticket"])


class _Openings:
    """Signing's `SigningOpened` events as a core NATS subscriber gets them (JetStream hands a
    stream's messages to core subscribers of their subjects too), so that a pair waits for its
    note to open, as an app would, instead of asking signing every few milliseconds: those
    questions cost signing and this driver CPU that no user's lifecycle needs."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Event] = {}

    async def subscribe(self, nc: NatsClient, naming: Naming) -> None:
        subject = naming.event_subject("signing", "note", "*", "SigningOpened")
        await nc.subscribe(subject, cb=self._opened)

    def expect(self, note_id: str) -> asyncio.Event:
        """Before the note is submitted: the event its opening will set."""
        return self._waiting.setdefault(note_id, asyncio.Event())

    def forget(self, note_id: str) -> None:
        self._waiting.pop(note_id, None)

    async def _opened(self, msg: Msg) -> None:
        note_id = msg.subject.split(".")[-2]
        if (opened := self._waiting.get(note_id)) is not None:
            opened.set()


# Core NATS delivers at most once: without the event for this long, ask signing.
_ASK_AFTER = 2.0


async def _until_open(client: _Client, opened: asyncio.Event, note_id: str) -> None:
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(opened.wait(), _ASK_AFTER)
            return  # published by signing's relay, so committed: the note is open
        state = await client.call("signing", "get_note_signing_state", note_id=note_id)
        if state is not None and state["status"] == "open":
            return
        if client.late():
            raise TimeoutError(f"signing did not open {note_id}")


async def _note(
    client: _Client, openings: _Openings, lender: _Person, borrower: _Person, out: NoteOutcome
) -> None:
    out.parties = (lender.party_id, borrower.party_id)
    out.note_id = note_id = str(uuid.uuid4())  # chosen here: a repeated draft is recognised
    own: dict[str, Any] = {"note_id": note_id, "actor_party_id": lender.party_id}
    with _Step(out, "draft"):
        await client.call(
            "drafting",
            "draft_note",
            done_if=frozenset({"note_exists"}),
            accepted_disclaimer_version="2026-01",
            counterparty={
                "display_name": borrower.identity.legal_name,
                "phone": borrower.identity.phone,
            },
            terms=iou_terms(date.today() + timedelta(days=1)),
            **own,
        )
    with _Step(out, "invite"):
        token = await _invitation(client, own)
    with _Step(out, "accept"):
        await client.call(
            "drafting",
            "accept_invitation",
            # The token is used up by the lost attempt that made the borrower join.
            done_if=frozenset({"invitation_revoked"}),
            token=token,
            party_id=borrower.party_id,
        )
    opened = openings.expect(note_id)
    try:
        with _Step(out, "submit"):
            digest = await _frozen_digest(client, own)
        with _Step(out, "signing_open"):
            await _until_open(client, opened, note_id)
    finally:
        openings.forget(note_id)
    with _Step(out, "initiator_signs"):
        await lender.sign(note_id, digest)
    with _Step(out, "counterparty_signs"):
        out.second_signature_sent = time.time()
        await borrower.sign(note_id, digest)


async def _invitation(client: _Client, own: dict[str, Any]) -> str:
    invited = await client.call(
        "drafting", "invite_counterparty", done_if=frozenset({"invitation_active"}), **own
    )
    if invited is None:  # the token went out with a lost answer: replace it
        invited = await client.call("drafting", "reissue_invitation", **own)
    assert invited is not None
    return str(invited["token"])


async def _frozen_digest(client: _Client, own: dict[str, Any]) -> str:
    frozen = await client.call(
        "drafting", "submit_for_signing", done_if=frozenset({"already_frozen"}), **own
    )
    if frozen is None:  # frozen by a lost attempt: read the digest it published
        frozen = await client.call("drafting", "get_note", **own)
    assert frozen is not None
    assert frozen["document_digest"]
    return str(frozen["document_digest"])


async def _pair(
    client: _Client, openings: _Openings, notes: int, outcomes: list[NoteOutcome]
) -> None:
    lender, borrower = _Person(client, new_identity()), _Person(client, new_identity())
    first = NoteOutcome()
    outcomes.append(first)
    with _Step(first, "verify_parties"):
        await asyncio.gather(lender.verify(), borrower.verify())
    for i in range(notes):
        out = first if i == 0 else NoteOutcome()
        if i:
            outcomes.append(out)
        try:
            await _note(client, openings, lender, borrower, out)
        except Exception:  # recorded in the outcome by its step
            return


async def _guarded(work: Coroutine[Any, Any, None], delay: float) -> None:
    await asyncio.sleep(delay)
    try:
        await work
    except Exception:  # the step already recorded it; a pair's failure ends only that pair
        return


@dataclass(frozen=True)
class _Event:
    event_id: uuid.UUID
    stream_id: str
    event_type: str
    at: float  # epoch seconds of its transaction


class _Log:
    """What the services committed since the run began, read from their schemas."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool, self.settings = pool, settings
        self.start: dict[str, int] = {}

    def _schema(self, service: str) -> str:
        return self.settings.schema_for(service)

    async def mark(self) -> None:
        for service in (*SOURCES, "evidence"):
            self.start[service] = await self.pool.fetchval(
                f"SELECT coalesce(max(global_position), 0) FROM {self._schema(service)}.events"
            )

    async def unanchored(self) -> int:
        leaves = f"{self._schema('evidence')}.leaves"
        total = 0
        for service in SOURCES:
            total += await self.pool.fetchval(
                f"SELECT count(*) FROM {self._schema(service)}.events e "
                f"WHERE e.global_position > $1 "
                f"AND NOT EXISTS (SELECT 1 FROM {leaves} l WHERE l.event_id = e.event_id)",
                self.start[service],
            )
        return int(total)

    async def completed(self, note_ids: list[str]) -> dict[str, float]:
        rows = await self.pool.fetch(
            f"SELECT stream_id::text AS id, extract(epoch FROM recorded_at)::float8 AS at "
            f"FROM {self._schema('signing')}.events "
            f"WHERE event_type = 'NoteCompleted' AND stream_id = ANY($1::uuid[])",
            note_ids,
        )
        return {r["id"]: r["at"] for r in rows}

    async def events(self) -> list[_Event]:
        found: list[_Event] = []
        for service in SOURCES:
            rows = await self.pool.fetch(
                f"SELECT event_id, stream_id::text AS stream_id, event_type, "
                f"extract(epoch FROM recorded_at)::float8 AS at "
                f"FROM {self._schema(service)}.events WHERE global_position > $1",
                self.start[service],
            )
            found += [_Event(r["event_id"], r["stream_id"], r["event_type"], r["at"]) for r in rows]
        return found

    async def anchored_at(self) -> dict[uuid.UUID, float]:
        rows = await self.pool.fetch(
            f"SELECT (a->>'event_id')::uuid AS id, extract(epoch FROM e.recorded_at)::float8 AS at "
            f"FROM {self._schema('evidence')}.events e "
            f"CROSS JOIN LATERAL jsonb_array_elements(e.payload->'anchored') a "
            f"WHERE e.event_type = 'EvidenceAnchored' AND e.global_position > $1",
            self.start["evidence"],
        )
        return {r["id"]: r["at"] for r in rows}


async def _settle(log: _Log, outcomes: list[NoteOutcome], within: float) -> None:
    """Until every signed note completed and every event is anchored, or `within` seconds pass."""
    deadline = time.perf_counter() + within
    signed = [o.note_id for o in outcomes if o.note_id and o.second_signature_sent and not o.error]
    while time.perf_counter() < deadline:
        done = await log.completed([n for n in signed if n])
        if len(done) == len(signed) and await log.unanchored() == 0:
            return
        await asyncio.sleep(0.05)


async def _judge(log: _Log, outcomes: list[NoteOutcome]) -> tuple[list[float], list[float], int]:
    """Each outcome's `completed`/`anchored`; the two latency series; the run's event count."""
    events, anchored = await log.events(), await log.anchored_at()
    completed = await log.completed([o.note_id for o in outcomes if o.note_id])
    by_stream: dict[str, list[_Event]] = defaultdict(list)
    for event in events:
        by_stream[event.stream_id].append(event)
    to_completed = []
    for out in outcomes:
        if out.note_id is None:
            continue
        out.completed = out.note_id in completed
        if out.completed and out.second_signature_sent is not None:
            to_completed.append(completed[out.note_id] - out.second_signature_sent)
        own = [e for s in (out.note_id, *out.parties) for e in by_stream.get(s, [])]
        out.anchored = bool(own) and all(e.event_id in anchored for e in own)
    to_anchored = [anchored[e.event_id] - e.at for e in events if e.event_id in anchored]
    return to_completed, to_anchored, len(events)


async def run_lifecycles(
    settings: Settings,
    pairs: int,
    *,
    notes_per_pair: int = 1,
    anchor_timeout: float = 60.0,
    arrival_rate: float | None = None,
    give_up_after: float = 300.0,
    reply_timeout: float = REPLY_TIMEOUT,
) -> LifecycleRun:
    """Run `pairs` user pairs through `notes_per_pair` IOUs each (see the module): all at once,
    or (open loop) pair i starting at i / `arrival_rate` seconds. Commands are retried until
    `give_up_after` seconds from the start; a reply is awaited `reply_timeout` seconds."""
    nc = await nats.connect(
        settings.nats_servers, name="bench-lifecycle", max_reconnect_attempts=-1
    )
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        log = _Log(pool, settings)
        await log.mark()
        started = time.perf_counter()
        client = _Client(nc, settings, started + give_up_after, reply_timeout)
        openings = _Openings()
        await openings.subscribe(nc, Naming(settings.namespace))
        outcomes: list[NoteOutcome] = []
        await asyncio.gather(
            *(
                _guarded(
                    _pair(client, openings, notes_per_pair, outcomes),
                    i / arrival_rate if arrival_rate else 0,
                )
                for i in range(pairs)
            )
        )
        await _settle(log, outcomes, anchor_timeout)
        elapsed = time.perf_counter() - started
        to_completed, to_anchored, events = await _judge(log, outcomes)
        return LifecycleRun(
            outcomes,
            dict(client.latencies),
            to_completed,
            to_anchored,
            elapsed,
            events,
            dict(client.retries),
            dict(client.retry_reasons),
        )
    finally:
        await pool.close()
        await nc.close()
