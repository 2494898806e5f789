"""Looking for personal data in clear: every table of every schema of a namespace, every
message (body and headers) on every JetStream stream of it. Reusable by any service's tests."""

from __future__ import annotations

import json
from collections.abc import Iterable

import asyncpg
from nats.js import JetStreamContext

from shared.config import SERVICES
from shared.subjects import Naming


def spellings(values: Iterable[str]) -> set[str]:
    """A value as it may be written: as is, upper and lower case, JSON-escaped."""
    found: set[str] = set()
    for value in values:
        for variant in (value, value.upper(), value.lower()):
            found.update({variant, json.dumps(variant)[1:-1]})
    return found


async def find_in_database(pool: asyncpg.Pool, namespace: str, needles: set[str]) -> list[str]:
    """`schema.table: needle` for each table whose rows (all columns as text) hold a needle."""
    tables = await pool.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND left(table_schema, length($1)) = $1",
        f"{namespace}_",
    )
    assert tables, f"no tables in namespace {namespace}"
    hits = []
    for schema, table in tables:
        rows = await pool.fetch(f'SELECT t::text AS row FROM "{schema}"."{table}" t')
        text = "\n".join(r["row"] for r in rows)
        hits += [f"{schema}.{table}: {needle}" for needle in needles if needle in text]
    return hits


async def find_in_jetstream(js: JetStreamContext, namespace: str, needles: set[str]) -> list[str]:
    """`stream#seq: needle` for each message whose body or headers hold a needle."""
    # By name: listing every stream is paged (256 a page) on a server that other runs share.
    naming = Naming(namespace)
    streams = [await js.stream_info(naming.stream_name(service)) for service in SERVICES]
    hits = []
    for info in streams:
        name = str(info.config.name)
        if not info.state.messages:
            continue
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(name, seq)
            text = (message.data or b"").decode("utf-8", "replace") + json.dumps(
                message.headers or {}, ensure_ascii=False
            )
            hits += [f"{name}#{seq}: {needle}" for needle in needles if needle in text]
    return hits
