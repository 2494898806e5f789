from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.config import Settings, service_settings


def test_urls_come_from_the_unprefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATS_URL", "nats://10.0.0.1:4222")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/jt")
    monkeypatch.setenv("JIETIAO_STREAM_REPLICAS", "3")
    settings = Settings()
    assert (settings.nats_url, settings.database_url) == (
        "nats://10.0.0.1:4222",
        "postgresql://db/jt",
    )
    assert settings.stream_replicas == 3


def test_a_service_can_have_its_own_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/shared")
    monkeypatch.setenv("SIGNING_DATABASE_URL", "postgresql://db/signing")
    assert service_settings("signing").database_url == "postgresql://db/signing"
    assert service_settings("drafting").database_url == "postgresql://db/shared"


def test_the_namespace_must_be_a_plain_name() -> None:
    with pytest.raises(ValidationError):
        Settings(namespace="Jietiao; DROP")
    assert Settings(namespace="t1_2").schema_for("evidence") == "t1_2_evidence"


def test_nats_url_may_list_a_clusters_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NATS_URL", "nats://n1:4222, nats://n2:4222,nats://n3:4222,")
    assert Settings().nats_servers == ["nats://n1:4222", "nats://n2:4222", "nats://n3:4222"]
    assert Settings(nats_url="nats://one:4222").nats_servers == ["nats://one:4222"]
