"""A stack of `jietiao serve` processes per test, on the test's own namespace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.config import Settings
from tests.system.support import Services


@pytest.fixture
def services_of(tmp_path: Path) -> Iterator[type[Services]]:
    """`services_of(settings, counts, log_dir)` → started processes, all stopped after the test."""
    started: list[Services] = []

    class Tracked(Services):
        def start(self) -> None:
            started.append(self)
            super().start()

    yield Tracked
    for services in started:
        services.stop()


def logs(tmp_path: Path) -> Path:
    return tmp_path / "logs"


__all__ = ["Settings", "logs"]
