"""Service processes per test, on the test's own namespace, all stopped when it ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.system.support import Services


@pytest.fixture
def services_of() -> Iterator[type[Services]]:
    """`services_of(settings, counts, log_dir)`: call `.start()`; stopped after the test."""
    started: list[Services] = []

    class Tracked(Services):
        def start(self) -> None:
            started.append(self)
            super().start()

    yield Tracked
    for services in started:
        services.stop()
