"""Signed notes and checkpoints: the Go sumdb/note vector, byte-exact round trips, mangling."""

from __future__ import annotations

import base64

import pytest

from services.evidence.domain.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from services.evidence.domain.note import (
    NoteError,
    Signature,
    Signer,
    open_note,
    parse_skey,
    parse_vkey,
    sign_note,
    split_note,
)
from services.evidence.domain.signing import ForkRefused, sign_next_checkpoint

# golang.org/x/mod sumdb/note/note_test.go
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
SIGNED = (
    TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
    "qfqdngotpRZb6KE6RyyBwJnAM=\n"
)
LOG = Signer("example.com/log", bytes(range(32)))
CHECKPOINT = Checkpoint("example.com/log", 20852163, bytes(range(100, 132)))


def test_the_go_vector_signs_and_opens_byte_for_byte() -> None:
    signer = parse_skey(SKEY)
    assert signer.skey() == SKEY
    assert signer.verifier.vkey() == VKEY
    assert sign_note(TEXT, [signer]) == SIGNED
    text, by = open_note(SIGNED, [parse_vkey(VKEY)])
    assert (text, [v.vkey() for v in by]) == (TEXT, [VKEY])


def test_a_checkpoint_round_trips_byte_for_byte() -> None:
    note = sign_next_checkpoint(None, CHECKPOINT, [], [LOG])
    text, signatures = split_note(note)
    assert text == "example.com/log\n20852163\nZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=\n"
    assert text + "\n" + "".join(s.line() for s in signatures) == note
    assert parse_checkpoint(open_note(note, [LOG.verifier])[0]) == CHECKPOINT
    assert parse_checkpoint(text).body() == text
    assert sign_next_checkpoint(None, CHECKPOINT, [], [LOG]) == note  # Ed25519 is deterministic


def _replacement(char: str) -> str:
    return "B" if char == "A" else "A"


def test_any_changed_character_is_refused() -> None:
    note = sign_note(CHECKPOINT.body(), [LOG])
    for i, char in enumerate(note):
        mangled = note[:i] + _replacement(char) + note[i + 1 :]
        with pytest.raises((NoteError, CheckpointError)):
            parse_checkpoint(open_note(mangled, [LOG.verifier])[0])


def test_reordered_lines_removed_lines_and_changed_key_ids_are_refused() -> None:
    note = sign_note(CHECKPOINT.body(), [LOG])
    origin, size, root, blank, signature, _ = note.split("\n")
    for lines in ([size, origin, root], [origin, root, size], [root, size, origin], [origin, size]):
        with pytest.raises(NoteError):
            open_note("\n".join([*lines, blank, signature, ""]), [LOG.verifier])
    [parsed] = split_note(note)[1]
    for key_id in (b"\x00\x00\x00\x00", bytes(b ^ 1 for b in parsed.key_id)):
        changed = Signature(parsed.name, key_id, parsed.signature).line()
        with pytest.raises(NoteError):
            open_note(CHECKPOINT.body() + "\n" + changed, [LOG.verifier])
    with pytest.raises(NoteError):
        open_note(CHECKPOINT.body(), [LOG.verifier])  # no signature block at all


def test_unknown_signers_are_ignored_but_a_failing_known_one_rejects() -> None:
    other = Signer("witness.example", bytes(32))
    note = sign_note(CHECKPOINT.body(), [LOG, other])
    assert open_note(note, [LOG.verifier])[1] == [LOG.verifier]
    with pytest.raises(NoteError):
        open_note(note, [other.verifier.__class__("example.org/x", other.verifier.public_key)])
    forged = Signature(LOG.name, LOG.verifier.key_id, bytes(64)).line()
    with pytest.raises(NoteError):
        open_note(
            CHECKPOINT.body() + "\n" + forged + split_note(note)[1][1].line(),
            [LOG.verifier, other.verifier],
        )


@pytest.mark.parametrize(
    "body",
    [
        "o\n01\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "o\n1\n" + base64.b64encode(bytes(31)).decode() + "\n",
        "o\n1\n" + base64.b64encode(bytes(32)).decode(),
        "o o\n1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "o\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
    ],
)
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(CheckpointError):
        parse_checkpoint(body)


def test_the_log_never_signs_a_fork() -> None:
    bigger = Checkpoint(CHECKPOINT.origin, CHECKPOINT.size + 1, bytes(32))
    with pytest.raises(ForkRefused):
        sign_next_checkpoint(
            CHECKPOINT, Checkpoint(CHECKPOINT.origin, CHECKPOINT.size, bytes(32)), [], [LOG]
        )
    with pytest.raises(ForkRefused):
        sign_next_checkpoint(CHECKPOINT, Checkpoint(CHECKPOINT.origin, 5, bytes(32)), [], [LOG])
    with pytest.raises(ForkRefused):
        sign_next_checkpoint(CHECKPOINT, bigger, [bytes(32)], [LOG])
