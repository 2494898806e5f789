"""Append-only event store on PostgreSQL (asyncpg), one schema per service."""

from shared.store.errors import ConcurrencyError, DuplicateEventError
from shared.store.migrations import Migration, apply_migrations, migrations_in
from shared.store.postgres import (
    EventStore,
    RecordedEvent,
    Transaction,
    append_arguments,
    append_call,
    append_errors,
    connect_pool,
)

__all__ = [
    "ConcurrencyError",
    "DuplicateEventError",
    "EventStore",
    "Migration",
    "RecordedEvent",
    "Transaction",
    "append_arguments",
    "append_call",
    "append_errors",
    "apply_migrations",
    "connect_pool",
    "migrations_in",
]
