"""Versioned SQL migrations, applied once each, at start-up, under a lock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Migration:
    id: str
    sql: str


def quote_schema(schema: str) -> str:
    # Schema names are interpolated into SQL, so only plain identifiers are allowed.
    if not _IDENTIFIER.match(schema):
        raise ValueError(f"not a plain SQL identifier: {schema!r}")
    return schema


def migrations_in(package: str, prefix: str) -> list[Migration]:
    """The `NNNN_name.sql` files of a package's `migrations` folder, in order."""
    folder = resources.files(package).joinpath("migrations")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [Migration(f"{prefix}/{f.name.removesuffix('.sql')}", f.read_text()) for f in files]


def event_store_migrations() -> list[Migration]:
    return migrations_in("shared.store", "shared")


async def apply_migrations(
    pool: asyncpg.Pool, schema: str, extra: list[Migration] | None = None
) -> list[str]:
    """Create the schema and apply what has not been applied; returns the ids applied now."""
    schema = quote_schema(schema)
    applied_now: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        # Replicas starting together must not race each other through the same migration.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"migrate:{schema}")
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {schema}.schema_migrations "
            "(id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["id"] for r in await conn.fetch(f"SELECT id FROM {schema}.schema_migrations")}
        for migration in [*event_store_migrations(), *(extra or [])]:
            if migration.id in done:
                continue
            await conn.execute(migration.sql.replace("{schema}", schema))
            await conn.execute(
                f"INSERT INTO {schema}.schema_migrations (id) VALUES ($1)", migration.id
            )
            applied_now.append(migration.id)
    return applied_now
