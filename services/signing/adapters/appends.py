"""A decision in one statement: its events appended at the version decided on, and the rows that
go with them (handwriting, stamp, open void), written only if the events were.

One statement is atomic on its own, so a command needs no BEGIN and COMMIT around it; and a
stream that moved on answers NULL rather than failing, so a consumer's transaction survives a
lost race without a SAVEPOINT of its own (see the `append_unless_moved` migration).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.events import Envelope
from shared.store.postgres import APPEND_ARGUMENTS, Connection, append_arguments, append_errors


@dataclass(frozen=True)
class Write:
    """A row written with a decision's events. `sql` modifies rows for each row of `done` (one
    if the events were appended, none if not); `{schema}` is the schema and `{p[0]}`, `{p[1]}`,
    ... its parameters, cast to their columns' types."""

    sql: str
    args: tuple[Any, ...]


def placeholders(first: int, count: int) -> str:
    return ", ".join(f"${n}" for n in range(first, first + count))


def decision_statement(schema: str, writes: Sequence[Write]) -> str:
    parts = [
        f"appended AS (SELECT {schema}.append_unless_moved"
        f"({placeholders(1, APPEND_ARGUMENTS)}) AS position)",
        "done AS (SELECT FROM appended WHERE position IS NOT NULL)",
    ]
    next_parameter = APPEND_ARGUMENTS + 1
    for index, write in enumerate(writes):
        names = [f"${next_parameter + i}" for i in range(len(write.args))]
        parts.append(f"w{index} AS ({write.sql.format(schema=schema, p=names)})")
        next_parameter += len(write.args)
    return f"WITH {', '.join(parts)} SELECT position FROM appended"


async def append_decision(
    conn: Connection, schema: str, events: Sequence[Envelope], writes: Sequence[Write]
) -> bool:
    """Append `events` after `events[0].version - 1` with `writes`; False, and nothing written,
    if the stream is no longer at that version."""
    args = [*append_arguments(events), *(a for w in writes for a in w.args)]
    with append_errors(events):
        position = await conn.fetchval(decision_statement(schema, writes), *args)
    return position is not None
