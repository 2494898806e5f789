"""Embedded NATS (with JetStream) and PostgreSQL, for `jietiao up` and the test suite.

Both keep their data under one `data_dir` (`<data_dir>/nats`, `<data_dir>/postgres`, logs in
`<data_dir>/logs`), listen only locally, and die with the process that started them::

    with EmbeddedPostgres(root) as pg, EmbeddedNats(root) as nc:
        use(pg.url, nc.url)
"""

from __future__ import annotations

from shared.stack.embedded_nats import EmbeddedNats, nats_server_binary
from shared.stack.embedded_postgres import EmbeddedPostgres
from shared.stack.server import EmbeddedServer, EmbeddedStartError, free_port

__all__ = [
    "EmbeddedNats",
    "EmbeddedPostgres",
    "EmbeddedServer",
    "EmbeddedStartError",
    "free_port",
    "nats_server_binary",
]
