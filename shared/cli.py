"""The `jietiao` command."""

from __future__ import annotations

import asyncio

import typer

from shared.config import SERVICES, Settings
from shared.logging import configure_logging

app = typer.Typer(help="Jietiao: electronic IOUs with a tamper-evident evidence log.")


@app.command()
def serve(service: str = typer.Argument(..., help=f"One of: {', '.join(SERVICES)}")) -> None:
    """Run one service process until SIGTERM."""
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    from shared.runtime import serve as run

    run(service)


@app.command()
def bootstrap() -> None:
    """Apply every service's migrations and declare the JetStream streams (idempotent)."""
    from shared.bootstrap import prepare

    settings = Settings()
    configure_logging(settings)
    asyncio.run(prepare(settings))


def _register_up() -> None:
    from shared.stack.command import up

    app.command("up")(up)


_register_up()

if __name__ == "__main__":
    app()
