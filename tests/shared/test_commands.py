"""Commands over real NATS request/reply."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

import nats
import pytest
from faststream.nats import NatsBroker

from shared.commands import (
    CommandClient,
    CommandModel,
    CommandRejected,
    register_command,
    serve_commands,
)
from shared.config import Settings
from shared.subjects import Naming


class Deposit(CommandModel):
    amount: Decimal


class Deposited(CommandModel):
    balance: Decimal


class Identify(CommandModel):
    id_number: str


def test_a_request_value_is_not_kept_by_the_json_parser() -> None:
    # A cached value comes back as the very same string object on the next parse.
    data = b'{"id_number": "11010519491231002X"}'
    first, second = Identify.model_validate_json(data), Identify.model_validate_json(data)
    assert first.id_number == second.id_number
    assert first.id_number is not second.id_number


async def deposit(request: Deposit) -> Deposited:
    if request.amount > 100:
        raise CommandRejected(
            "amount_too_large", "at most 100", message_zh="金额不得超过100", field="amount"
        )
    if request.amount == 13:
        raise RuntimeError("secret internals")
    return Deposited(balance=request.amount)


@pytest.fixture
async def client(settings: Settings, nc: nats.NATS) -> CommandClient:
    naming = Naming(settings.namespace)
    broker = NatsBroker(settings.nats_url)
    register_command(broker, naming, "drafting", "deposit", Deposit, deposit)
    await broker.start()
    await serve_commands(broker)
    yield CommandClient(nc, naming)  # type: ignore[misc]
    await broker.stop()


async def test_a_command_returns_its_result(client: CommandClient) -> None:
    assert await client.call("drafting", "deposit", Deposit(amount=Decimal("12.30"))) == {
        "balance": "12.30"
    }


async def test_a_refusal_names_the_field_and_the_rule(client: CommandClient) -> None:
    with pytest.raises(CommandRejected) as refused:
        await client.call("drafting", "deposit", {"amount": "100.01"})
    assert (refused.value.code, refused.value.field) == ("amount_too_large", "amount")
    assert refused.value.message_zh == "金额不得超过100"


async def test_bad_input_is_refused_with_the_field(client: CommandClient) -> None:
    with pytest.raises(CommandRejected) as refused:
        await client.call("drafting", "deposit", {"amount": "lots"})
    assert (refused.value.code, refused.value.field) == ("invalid_request", "amount")
    with pytest.raises(CommandRejected) as refused:
        await client.call("drafting", "deposit", {"amount": "1", "extra": 1})
    assert refused.value.field == "extra"


async def test_a_failure_hides_its_internals(client: CommandClient) -> None:
    with pytest.raises(CommandRejected) as refused:
        await client.call("drafting", "deposit", {"amount": "13"})
    assert refused.value.code == "internal"
    assert "secret" not in refused.value.message


async def test_replicas_share_the_commands_and_answer_each_once(
    settings: Settings, nc: nats.NATS
) -> None:
    naming = Naming(settings.namespace)
    answered: list[int] = []

    def counting(replica: int) -> Callable[[Deposit], Awaitable[Deposited]]:
        async def handle(request: Deposit) -> Deposited:
            answered.append(replica)
            return Deposited(balance=request.amount)

        return handle

    brokers = [NatsBroker(settings.nats_url) for _ in range(2)]
    for replica, broker in enumerate(brokers):
        register_command(broker, naming, "drafting", "deposit", Deposit, counting(replica))
        await broker.start()
        await serve_commands(broker)
    try:
        client = CommandClient(nc, naming)
        for amount in range(1, 41):
            assert await client.call("drafting", "deposit", {"amount": str(amount)}) == {
                "balance": str(amount)
            }
    finally:
        for broker in brokers:
            await broker.stop()
    assert len(answered) == 40
    assert set(answered) == {0, 1}


async def test_a_draining_replica_answers_what_it_has_and_takes_no_more(
    settings: Settings, nc: nats.NATS
) -> None:
    naming = Naming(settings.namespace)
    release = asyncio.Event()

    async def slow(request: Deposit) -> Deposited:
        await release.wait()
        return Deposited(balance=request.amount)

    broker = NatsBroker(settings.nats_url)
    register_command(broker, naming, "drafting", "deposit", Deposit, slow)
    await broker.start()
    server = await serve_commands(broker)
    try:
        client = CommandClient(nc, naming, timeout=5.0)
        in_flight = asyncio.create_task(client.call("drafting", "deposit", {"amount": "7"}))
        await asyncio.sleep(0.2)  # the request has reached the replica
        draining = asyncio.create_task(server.drain(within=5.0))
        await asyncio.sleep(0.2)
        release.set()
        assert await in_flight == {"balance": "7"}
        await draining
        with pytest.raises(nats.errors.NoRespondersError):
            await nc.request(naming.command_subject("drafting", "deposit"), b"{}", timeout=1.0)
    finally:
        await broker.stop()
