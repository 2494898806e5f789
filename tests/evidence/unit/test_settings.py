"""Signing keys from settings: ids, rotation, and no well-known key in production."""

from __future__ import annotations

import pytest

from services.evidence.domain.note import Signer
from services.evidence.settings import EvidenceSettings, InsecureKeyError, dev_signer

OLD = Signer("log.example/v1", bytes([1]) * 32)
NEW = Signer("log.example/v1", bytes([2]) * 32)


def test_every_configured_key_signs_and_retired_keys_still_verify() -> None:
    settings = EvidenceSettings(
        origin="log.example/v1", signing_keys=f"{NEW.skey()}", retired_keys=OLD.verifier.vkey()
    )
    assert settings.signers("prod") == [NEW]
    assert settings.verifiers("prod") == [NEW.verifier, OLD.verifier]
    both = EvidenceSettings(signing_keys=f"{OLD.skey()}, {NEW.skey()}")
    assert [s.verifier.key_id for s in both.signers("prod")] == [
        OLD.verifier.key_id,
        NEW.verifier.key_id,
    ]


def test_production_refuses_the_development_key() -> None:
    with pytest.raises(InsecureKeyError):
        EvidenceSettings().signers("prod")
    assert EvidenceSettings(origin="a.example/log").signers("dev") == [dev_signer("a.example/log")]


def test_a_key_whose_id_does_not_match_is_refused() -> None:
    name, _, rest = NEW.skey().removeprefix("PRIVATE+KEY+").partition("+")
    with pytest.raises(ValueError, match="id"):
        EvidenceSettings(
            signing_keys=f"PRIVATE+KEY+{name}+00000000+{rest.split('+', 1)[1]}"
        ).signers("dev")


def test_an_origin_with_a_space_or_plus_is_refused() -> None:
    for origin in ("log example", "log+example"):
        with pytest.raises(ValueError, match="origin"):
            EvidenceSettings(origin=origin)
