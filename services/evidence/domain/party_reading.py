"""The events the parties' signatures live in, read from their JSON documents without the
catalogue: exactly the fields signing's payload classes have (none missing, none extra), each of
its type, identifiers and times in the one text form signing's messages use.

Anything else is `CannotCheckError`: the signing service's own verifier would not parse it either.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from services.evidence.domain.party_events import (
    CannotCheckError,
    Check,
    Completed,
    Frozen,
    Handwriting,
    Key,
    Signature,
    Signed,
    VoidAnswer,
    Voided,
    VoidRequest,
)

Kind = str | type
R = TypeVar("R")
# `shared.catalogue.signing.VoidReason`: a code outside it is no void signing would have written.
VOID_REASONS = frozenset({"wrong_terms", "wrong_party", "settled", "agreement_ended", "other"})

_SIGNED_BY: dict[str, Kind] = {
    "role": "str",
    "signature": Signature,
    "handwriting": Handwriting,
    "check": Check,
}

# The fields of each payload class (or part), and of which kind each is.
FIELDS: dict[type, dict[str, Kind]] = {
    Signature: {"algorithm": "ed25519", "key_id": "str", "message_format": "str", "value": "str"},
    Handwriting: {"digest": "str", "png_sha256": "str", "strokes_sha256": "str"},
    Check: {
        "ticket_id": "uuid",
        "method": "str",
        "identity_commitment": "str",
        "intent_version": "str",
    },
    Key: {"party_id": "uuid", "key_id": "str", "algorithm": "ed25519", "public_key": "str"},
    Frozen: {
        "note_version": "int",
        "document_digest": "str",
        "document": "object",
        "initiator_party_id": "uuid",
        "counterparty_party_id": "uuid",
        "counterparty_identity_commitment": "str",
    },
    Signed: {
        "note_id": "uuid",
        "note_version": "int",
        "party_id": "uuid",
        "document_digest": "str",
        "sequence": "int",
        "previous_signature": "str?",
        **_SIGNED_BY,
    },
    Completed: {
        "note_version": "int",
        "document_digest": "str",
        "final_digest": "str",
        "completed_at": "time",
        "signers": "uuids",
        "stamp_svg_sha256": "str",
        "stamp_png_sha256": "str",
    },
    VoidRequest: {
        "void_id": "uuid",
        "requested_by": "uuid",
        "reason_code": "reason",
        "reason_text": "str",
        "final_digest": "str",
        "expires_at": "time",
        **_SIGNED_BY,
    },
    VoidAnswer: {"void_id": "uuid", "party_id": "uuid", **_SIGNED_BY},
    Voided: {
        "void_id": "uuid",
        "final_digest": "str",
        "reason_code": "reason",
        "voided_at": "time",
    },
}


def utc_text(moment: datetime) -> str:
    """`shared.events.format_utc`: UTC, `Z`, microseconds only when there are any."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _uuid(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise CannotCheckError(f"{where} is not a UUID")
    try:
        return str(uuid.UUID(value))
    except ValueError as error:
        raise CannotCheckError(f"{where} is not a UUID") from error


def _time(value: object, where: str) -> str:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise CannotCheckError(f"{where} is not a time with its zone")
    return utc_text(moment)


def _scalar(value: object, kind: str, where: str) -> object:
    if kind == "uuid":
        return _uuid(value, where)
    if kind == "time":
        return _time(value, where)
    if kind == "uuids" and isinstance(value, list):
        return tuple(_uuid(v, where) for v in value)
    if kind == "object" and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if (kind == "str" or (kind == "str?" and value is not None)) and isinstance(value, str):
        return value
    if kind == "reason" and isinstance(value, str) and value in VOID_REASONS:
        return value
    if (kind == "str?" and value is None) or (kind == "ed25519" and value == "Ed25519"):
        return value
    raise CannotCheckError(f"{where} is not of the kind signing writes ({kind})")


def record(cls: type[R], value: object, where: str) -> R:
    """The payload (or part of one) `value` as `cls`, or `CannotCheckError` naming the field."""
    if not isinstance(value, dict):
        raise CannotCheckError(f"{where} is not an object")
    fields = FIELDS[cls]
    given = {**({"algorithm": "Ed25519"} if "algorithm" in fields else {}), **value}
    if set(given) != set(fields):
        odd = sorted(set(given) ^ set(fields))
        raise CannotCheckError(f"{where} has other fields than signing writes: {', '.join(odd)}")
    read: dict[str, Any] = {}
    for name, kind in fields.items():
        here = f"{where}.{name}"
        if isinstance(kind, type):
            read[name] = record(kind, given[name], here)
        else:
            read[name] = _scalar(given[name], kind, here)
    return cls(**read)


def payloads(events: Sequence[Mapping[str, Any]], event_type: str, cls: type[R]) -> list[R]:
    """Every event of `event_type`, in the order given, read as `cls`."""
    found = []
    for event in events:
        if event.get("event_type") == event_type:
            if event.get("schema_version") != 1:
                raise CannotCheckError(f"{event_type} of schema version other than 1")
            found.append(record(cls, event.get("payload"), event_type))
    return found
