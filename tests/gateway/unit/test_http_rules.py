"""The HTTP rules that need no services: statuses of refusal codes, the CSRF token, and the
public verifier on documents that are not evidence at all."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.evidence.domain.note import Signer
from services.gateway.http.auth import csrf_token
from services.gateway.http.errors import status_of
from services.gateway.http.verify import verdict_of


def test_refusal_codes_get_their_status() -> None:
    assert status_of("invalid_request") == 400
    assert status_of("session_expired") == 401
    assert status_of("note_not_found") == 404
    assert status_of("anything_not_found") == 404
    assert status_of("invitation_expired") == 409
    assert status_of("terms_locked") == 409
    assert status_of("code_rate_limited") == 429
    assert status_of("above_cap") == 422
    assert status_of("id_number_check_character") == 422
    assert status_of("identity_unavailable") == 503


def test_the_csrf_token_belongs_to_one_session_and_reveals_nothing_of_it() -> None:
    assert csrf_token("a") == csrf_token("a")
    assert csrf_token("a") != csrf_token("b")
    assert "a" * 8 not in csrf_token("a" * 8)


KEY = Signer("example.org/log", bytes(32)).verifier.vkey()
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(
        st.sampled_from(
            ["format", "note_id", "receipts", "checkpoint", "tlog_proof", "salt", "event_json"]
        )
        | st.text(max_size=8),
        JSON,
        max_size=6,
    )
)
def test_the_verifier_answers_every_document_with_a_verdict(document: dict[str, Any]) -> None:
    verdict = verdict_of(document, [KEY])
    assert verdict["ok"] is False
    assert verdict["checks"]


def test_without_a_published_key_nothing_verifies() -> None:
    assert verdict_of({"format": "jietiao-evidence-pack/v1"}, [])["ok"] is False
    assert verdict_of({}, ["not a key"])["ok"] is False


@given(st.lists(JSON, max_size=3), JSON)
def test_a_pack_of_junk_gets_a_failing_verdict(receipts: list[Any], checkpoint: Any) -> None:
    pack = {"format": "jietiao-evidence-pack/v1", "note_id": "x", "receipts": receipts}
    verdict = verdict_of({**pack, "checkpoint": checkpoint}, [KEY])
    assert verdict["ok"] is False
