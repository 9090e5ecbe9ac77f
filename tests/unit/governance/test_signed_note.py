"""Signed notes and checkpoints: byte-for-byte what Go's note package and C2SP specify."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tre.checkpoint import note
from tre.checkpoint.note import NoteError, Signer, Verifier
from tre.checkpoint.statement import Checkpoint, Handover

# The published test vector of golang.org/x/mod/sumdb/note (note_test.go, TestSign).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNED = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
GO_OTHER_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"


def test_go_vector_signs_and_verifies_identically() -> None:
    signer = Signer.parse(GO_SKEY)
    assert signer.verifier.vkey == GO_VKEY
    assert signer.skey == GO_SKEY
    assert note.sign(GO_TEXT, signer) == GO_SIGNED
    parsed = note.parse(GO_SIGNED)
    assert parsed.text == GO_TEXT
    assert parsed.signed_by(Verifier.parse(GO_VKEY))
    assert not parsed.signed_by(Verifier.parse(GO_OTHER_VKEY))  # unknown keys are ignored


def test_altered_text_or_signature_fails() -> None:
    verifier = Verifier.parse(GO_VKEY)
    assert not note.parse(GO_SIGNED.replace("answer", "answers")).signed_by(verifier)
    tampered = GO_SIGNED.replace("x08go", "x08gp")
    assert not note.parse(tampered).signed_by(verifier)


@pytest.mark.parametrize(
    "vkey",
    [
        GO_VKEY[:-1],
        GO_VKEY.replace("c74f20a3", "c74f20a4"),  # key ID of another key
        GO_VKEY.replace("+ARpc", "+AXpc"),  # altered key bytes: ID no longer matches
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.parse(vkey)


@pytest.mark.parametrize(
    "message",
    [
        GO_TEXT,  # no signatures
        GO_TEXT + "\n",
        GO_SIGNED[:-1],  # no final newline
        "\x01" + GO_SIGNED,
        GO_SIGNED.replace("— PeterNeumann", "— Peter Neumann"),
        GO_SIGNED + "Unexpected line.\n",
    ],
)
def test_malformed_notes_are_refused(message: str) -> None:
    with pytest.raises(NoteError):
        note.parse(message)


def test_signer_repr_keeps_the_seed_out() -> None:
    signer = Signer.parse(GO_SKEY)
    assert "AYEK" not in repr(signer) and "PeterNeumann+c74f20a3" in repr(signer)


def test_checkpoint_text_round_trips() -> None:
    time = datetime(2026, 12, 7, 10, 0, 0, 123456, tzinfo=UTC)
    checkpoint = Checkpoint("tre.example.org/audit", 1234, "ab" * 32, time)
    text = checkpoint.text()
    assert text.splitlines() == [
        "tre.example.org/audit",
        "1234",
        "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=",
        "Timestamp: 1796637600123456000",
    ]
    assert Checkpoint.parse(text) == checkpoint


@pytest.mark.parametrize(
    "text",
    [
        "o\n01\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\nTimestamp: 1\n",  # leading zero
        "o\n1\nq6ur\nTimestamp: 1\n",  # not 32 bytes
        "o\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n",  # no time
        "o p\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\nTimestamp: 1\n",
        "o\n1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\nTimestamp: 1\nextra\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(text)


def test_a_handover_is_never_read_as_a_checkpoint() -> None:
    old, new = Signer.generate("tre/audit"), Signer.generate("tre/audit")
    handover = Handover(7, "cd" * 32, old.verifier, new.verifier)
    assert Handover.parse(handover.text()) == handover
    with pytest.raises(NoteError):
        Checkpoint.parse(handover.text())
