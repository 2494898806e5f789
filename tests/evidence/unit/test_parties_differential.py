"""The stdlib verifier of the parties' signatures and the signing service's `verify_note` agree:
on every kind of note the real signing code produces, and on every change to a field of the
events the signatures live in (same verdict, same problems, in the same words)."""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.evidence.unit.party_notes import CASES, Doc, Outcome, by_signing, by_stdlib, refused

SIGNATURE_TYPES = ("PartySigned", "VoidRequested", "VoidSigned")
READ_TYPES = (
    *SIGNATURE_TYPES,
    "NoteCompleted",
    "NoteVoided",
    "SigningKeyPublished",
    "NoteFrozenForSigning",
)
# Times no party signs, which signing's parser would also take as a Unix number: the stdlib
# verifier refuses that shape instead ("cannot check"), never the other way round.
UNSIGNED_TIMES = ("completed_at", "voided_at")


def positions(docs: list[Doc], event_type: str) -> list[int]:
    return [i for i, d in enumerate(docs) if d["event_type"] == event_type]


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    children = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, child in children:
        yield from leaves(child, (*path, key))
        yield (*path, key), child


def flip(text: str) -> str:
    return text[:-1] + ("0" if text[-1:] != "0" else "1")


def same_shape_changes(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [flip(value)]
    if isinstance(value, int) and not isinstance(value, bool):
        return [value + 1]
    return []


def changed(docs: list[Doc], i: int, path: tuple[Any, ...], value: Any) -> list[Doc]:
    copied = copy.deepcopy(docs)
    node = copied[i]["payload"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copied


@pytest.mark.parametrize("case", CASES)
def test_both_verifiers_accept_every_kind_of_note_alike(case: str) -> None:
    docs = CASES[case]()
    signing, stdlib = by_signing(docs), by_stdlib(docs)
    assert signing is not None
    assert signing[0], signing[1]
    assert stdlib == signing


def agree(signing: Outcome, stdlib: Outcome, name: object, wrong: object) -> bool:
    """The same verdict; or the stdlib verifier refuses to vouch ("cannot check") for a value it
    cannot rebuild bytes from (a float) or a time given as a number, where signing refuses too,
    unless it is a time no party signs."""
    if stdlib == signing:
        return True
    if stdlib is not None:
        return False
    if name in UNSIGNED_TIMES:
        return True
    number = isinstance(wrong, float) or (name == "expires_at" and isinstance(wrong, int))
    return number and refused(signing)


@pytest.mark.parametrize("case", CASES)
def test_any_changed_field_gets_the_same_verdict_from_both(case: str) -> None:
    docs = CASES[case]()
    disagreements = []
    for i, doc in enumerate(docs):
        if doc["event_type"] not in READ_TYPES:
            continue
        for path, value in leaves(doc["payload"]):
            for wrong in [*same_shape_changes(value), None, 7, "x", [], {}, 1.5]:
                if wrong == value:
                    continue
                tampered = changed(docs, i, path, wrong)
                signing, stdlib = by_signing(tampered), by_stdlib(tampered)
                if not agree(signing, stdlib, path[-1], wrong):
                    disagreements.append((doc["event_type"], path, wrong, signing, stdlib))
    assert disagreements == []


def flip_byte(b64: str, at: int) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[at] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def tampers(docs: list[Doc]) -> Iterator[tuple[str, list[Doc]]]:
    """Every single-field forgery the parties' signatures must catch."""
    for kind in SIGNATURE_TYPES:
        for i in positions(docs, kind):
            value = docs[i]["payload"]["signature"]["value"]
            for at in (0, 31, 63):
                yield (
                    f"{kind} signature byte {at}",
                    changed(docs, i, ("signature", "value"), flip_byte(value, at)),
                )
            for part in ("digest", "png_sha256", "strokes_sha256"):
                text = docs[i]["payload"]["handwriting"][part]
                yield (
                    f"{kind} handwriting {part}",
                    changed(docs, i, ("handwriting", part), flip(text)),
                )
    for kind, name in (
        ("PartySigned", "document_digest"),
        ("NoteCompleted", "final_digest"),
        ("NoteCompleted", "document_digest"),
        ("VoidRequested", "final_digest"),
        ("NoteVoided", "final_digest"),
    ):
        for i in positions(docs, kind):
            yield f"{kind} {name}", changed(docs, i, (name,), flip(docs[i]["payload"][name]))
    for i in positions(docs, "NoteFrozenForSigning"):
        yield "the terms", changed(docs, i, ("document", "terms", "principal"), "10001.00")
    signed = positions(docs, "PartySigned")
    if len(signed) == 2:
        swapped = list(docs)
        swapped[signed[0]], swapped[signed[1]] = docs[signed[1]], docs[signed[0]]
        yield "signing order swapped", swapped
    used = {
        docs[i]["payload"]["signature"]["key_id"]
        for k in SIGNATURE_TYPES
        for i in positions(docs, k)
    }
    keys = [
        i for i in positions(docs, "SigningKeyPublished") if docs[i]["payload"]["key_id"] in used
    ]
    other = docs[keys[0]]["payload"]["key_id"]
    last = signed[-1]
    if len(keys) == 2 and docs[last]["payload"]["signature"]["key_id"] != other:
        yield (
            "signed with another party's key id",
            changed(docs, last, ("signature", "key_id"), other),
        )
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    for i in keys:
        yield (
            "a published key replaced",
            changed(docs, i, ("public_key",), base64.b64encode(stranger).decode()),
        )
        yield "a key's event left out", docs[:i] + docs[i + 1 :]
    if len(keys) == 2:
        a, b = (docs[k]["payload"]["party_id"] for k in keys)
        yield (
            "keys' owners swapped",
            changed(changed(docs, keys[0], ("party_id",), b), keys[1], ("party_id",), a),
        )


@pytest.mark.parametrize("case", CASES)
def test_every_single_field_forgery_is_refused_by_both(case: str) -> None:
    docs = CASES[case]()
    accepted = [
        (label, by_signing(forged), by_stdlib(forged))
        for label, forged in tampers(docs)
        if not (refused(by_signing(forged)) and refused(by_stdlib(forged)))
    ]
    assert accepted == []
    assert len(list(tampers(docs))) >= 10
