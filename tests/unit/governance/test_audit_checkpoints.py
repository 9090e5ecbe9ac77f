"""Signed checkpoints of the audit chain, attacked as the database's owner would (SQLite and
PostgreSQL): a cut tail with a rewritten head, a consistently rewritten chain, a replaced
checkpoints file, checkpoints signed with another key, a fork. Each passes the hash chain's
own check (the gap) and contradicts a checkpoint that left the system."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from checkpoint_help import (
    append,
    check,
    forge_checkpoints,
    forged_append,
    rewrite_chain,
    sizes,
    truncate,
)

from tre import audit
from tre.checkpoint import keys, note, publish, store
from tre.checkpoint.note import Signer
from tre.checkpoint.statement import Checkpoint
from tre.cli.init import initialise
from tre.config import Settings, load_settings
from tre.db import AuditEvent, session_scope


@pytest.fixture
def signed(gov: Settings) -> Settings:
    """`gov` after `tre init`: a signing key and the first checkpoint (0 events)."""
    initialise(gov)
    return gov


def chain_alone_verifies(settings: Settings) -> bool:
    with session_scope(settings) as session:
        return audit.verify(session).ok


def outside(settings: Settings, tmp_path: Path, name: str = "copy.jsonl") -> Path:
    """A copy of the checkpoints as someone outside the TRE keeps it."""
    copy = tmp_path / name
    shutil.copyfile(settings.audit_checkpoints_path, copy)
    return copy


# --- signing ---------------------------------------------------------------------------------
def test_every_committed_change_is_signed_with_a_key_outside_the_database(
    signed: Settings,
) -> None:
    append(signed, 3)
    assert sizes(signed.audit_checkpoints_path) == [0, 1, 2, 3]
    signer = keys.require(signed)
    for _n, line in store.read_lines(signed.audit_checkpoints_path):
        parsed = note.parse(store.decode_line(line))
        assert parsed.signed_by(signer.verifier)
        assert Checkpoint.parse(parsed.text).origin == signed.audit_origin
    assert stat.S_IMODE(signed.audit_key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(signed.keys_path.stat().st_mode) == 0o700
    # The seed is the fifth field; base64 may itself hold "+".
    assert signer.skey.split("+", 4)[-1] not in signed.audit_checkpoints_path.read_text()
    report = check(signed)
    assert report.ok and report.checked == 4 and report.newest == 3 and report.uncovered == 0


def test_init_is_idempotent_and_keeps_the_key(signed: Settings) -> None:
    key = signed.audit_key_path.read_text()
    result = initialise(signed)
    assert result["audit_key_created"] is False and signed.audit_key_path.read_text() == key
    assert sizes(signed.audit_checkpoints_path) == [0]  # the head was signed already


def test_a_rolled_back_change_is_never_signed(signed: Settings) -> None:
    """A checkpoint names only committed heads, even while another transaction is open."""
    append(signed, 1)
    signed_heads: list[Checkpoint | None] = []
    with pytest.raises(RuntimeError), session_scope(signed) as session:
        audit.record(session, actor="ada", action="x", object_type="t", object_id="1")
        signer = threading.Thread(target=lambda: signed_heads.append(publish.publish(signed)))
        signer.start()
        if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
            signer.join()  # signs while the event is flushed but not committed
        raise RuntimeError("state change failed")
    signer.join()  # on SQLite the signer waited for the writer to finish
    assert signed_heads == [None]  # the committed head (1 event) was signed already
    assert sizes(signed.audit_checkpoints_path) == [0, 1]
    assert check(signed).ok


def test_the_signer_refuses_a_log_that_no_longer_extends_its_checkpoints(
    signed: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    append(signed, 5)
    truncate(signed, 3)
    caplog.set_level(logging.ERROR, logger="tre.checkpoint")
    append(signed, 1, actor="mallory")  # the next change commits, but is not signed
    assert sizes(signed.audit_checkpoints_path) == [0, 1, 2, 3, 4, 5]
    assert "it was shortened" in caplog.text
    with pytest.raises(publish.CheckpointRefused, match="shortened"):
        publish.publish(signed)
    append(signed, 2, actor="mallory")  # now longer than the newest checkpoint, but rewritten
    with pytest.raises(publish.CheckpointRefused, match="rewritten"):
        publish.publish(signed)
    assert sizes(signed.audit_checkpoints_path) == [0, 1, 2, 3, 4, 5]


# --- attacks by the database's owner ---------------------------------------------------------
def test_truncated_tail_with_rewritten_head_is_caught(signed: Settings, tmp_path: Path) -> None:
    append(signed, 5)
    copy = outside(signed, tmp_path)
    truncate(signed, 3)
    assert chain_alone_verifies(signed)  # what the hash chain alone cannot see
    for against in (copy, signed.audit_checkpoints_path):
        report = check(signed, against)
        assert not report.ok
        found = report.contradiction
        assert found is not None and found.size == 4 and found.line == 5
        assert "shortened" in found.problem


def test_truncation_then_new_events_is_caught_as_a_rewrite(
    signed: Settings, tmp_path: Path
) -> None:
    append(signed, 5)
    copy = outside(signed, tmp_path)
    truncate(signed, 2)
    append(signed, 4, actor="mallory")  # longer again than any checkpoint
    assert chain_alone_verifies(signed)
    found = check(signed, copy).contradiction
    assert found is not None and found.size == 3 and "rewritten or forked" in found.problem


def test_consistent_rewrite_of_the_whole_chain_is_caught(signed: Settings, tmp_path: Path) -> None:
    append(signed, 5)
    copy = outside(signed, tmp_path)

    def mallory(event: AuditEvent) -> None:
        if event.seq == 2:
            event.actor = "mallory"

    rewrite_chain(signed, 1, mallory)
    assert chain_alone_verifies(signed)
    for against in (copy, signed.audit_checkpoints_path):
        found = check(signed, against).contradiction
        assert found is not None and found.size == 2 and "rewritten or forked" in found.problem


def test_replaced_checkpoints_file_is_caught_by_a_copy_kept_elsewhere(
    signed: Settings, tmp_path: Path
) -> None:
    """An operator who holds the key re-signs a file for the shortened log: the local file
    then agrees (the documented limit), every copy that left the system does not."""
    append(signed, 6)
    copy = outside(signed, tmp_path)
    truncate(signed, 2)
    forge_checkpoints(signed, keys.require(signed), signed.audit_checkpoints_path)
    assert check(signed).ok  # the replaced local file agrees with the shortened log
    found = check(signed, copy).contradiction
    assert found is not None and found.size == 3 and "shortened" in found.problem


def test_checkpoints_signed_with_another_key_are_caught(signed: Settings, tmp_path: Path) -> None:
    append(signed, 4)
    published_key = keys.require(signed).verifier  # as copied from the register page
    copy = outside(signed, tmp_path)
    truncate(signed, 2)
    intruder = Signer.generate(signed.audit_origin)
    forge_checkpoints(signed, intruder, signed.audit_checkpoints_path)
    found = check(signed, trusted=[published_key]).contradiction
    assert found is not None and found.size == 0 and found.line == 1
    assert "not signed by a key the TRE trusted" in found.problem
    # The intruder's key on disk too: the checkpoints that left, signed by the real key, are
    # now the ones not trusted, so trusting the machine's own key still fails.
    signed.audit_key_path.write_text(intruder.skey + "\n")
    assert check(signed).ok  # the machine agrees with itself ...
    found = check(signed, copy).contradiction  # ... not with what it published
    assert found is not None and "not signed by a key the TRE trusted" in found.problem
    assert not check(signed, copy, trusted=[published_key]).ok


def test_a_fork_is_caught(signed: Settings, tmp_path: Path) -> None:
    """Events 4–5 shown to the outside, then replaced by others and re-signed with the key."""
    append(signed, 5)
    seen_outside = outside(signed, tmp_path, "a.jsonl")
    truncate(signed, 3)
    forged_append(signed, 2)
    forge_checkpoints(signed, keys.require(signed), signed.audit_checkpoints_path)
    other_branch = outside(signed, tmp_path, "b.jsonl")
    assert chain_alone_verifies(signed) and check(signed).ok
    found = check(signed, seen_outside).contradiction
    assert found is not None and found.size == 4 and "rewritten or forked" in found.problem
    # A collector that saw both branches holds proof of the fork, whichever the log shows.
    both = tmp_path / "both.jsonl"
    both.write_text(seen_outside.read_text() + other_branch.read_text())
    found = check(signed, both).contradiction
    assert found is not None and found.size == 4 and found.line == 5


def test_events_after_the_newest_checkpoint_are_not_covered(
    signed: Settings, tmp_path: Path
) -> None:
    """What checkpoints cannot show: a change between the last copy and the tampering."""
    append(signed, 3)
    copy = outside(signed, tmp_path)
    forged_append(signed, 2)  # not through `record`: never signed
    report = check(signed, copy)
    assert report.ok and report.uncovered == 2


# --- key rotation ----------------------------------------------------------------------------
def test_rotation_is_a_signed_event_and_trust_follows_the_handover(
    signed: Settings, tmp_path: Path
) -> None:
    append(signed, 2)
    old = keys.require(signed).verifier
    outgoing, incoming = publish.rotate(signed, "ada")
    assert outgoing == old and keys.require(signed).verifier == incoming
    assert not signed.audit_next_key_path.exists()
    append(signed, 2)
    with session_scope(signed) as session:
        event = session.get(AuditEvent, 3)
        assert event is not None and event.action == "audit.key.rotate"
        assert event.actor == "ada" and event.object_id == incoming.key_ref
    lines = [
        note.parse(store.decode_line(line))
        for _n, line in store.read_lines(signed.audit_checkpoints_path)
    ]
    assert [n.signed_by(old) for n in lines] == [True, True, True, False, False, False]
    assert [n.signed_by(incoming) for n in lines] == [False, False, False, True, True, True]
    for trusted in ([old], [incoming]):  # either key vouches for the other
        report = check(signed, trusted=trusted)
        assert report.ok, report.contradiction
        assert report.keys == [old.vkey, incoming.vkey]
    found = check(signed, trusted=[Signer.generate("x/y").verifier]).contradiction
    assert found is not None and found.size == 0 and "neither a trusted key" in found.problem


def test_a_retired_key_cannot_sign_later_checkpoints(signed: Settings, tmp_path: Path) -> None:
    retired = keys.require(signed)
    append(signed, 1)
    publish.rotate(signed, "ada")
    append(signed, 2)
    stolen = tmp_path / "stolen.jsonl"
    forge_checkpoints(signed, retired, stolen)
    found = check(signed, stolen).contradiction
    assert found is not None and found.size == 2  # the handover's own checkpoint
    assert "not signed by a key the TRE trusted at event 2" in found.problem


def test_a_forged_handover_is_caught(signed: Settings) -> None:
    append(signed, 2)
    publish.rotate(signed, "ada")
    intruder = Signer.generate(signed.audit_origin)

    def handover_to_intruder(event: AuditEvent) -> None:
        if event.action == "audit.key.rotate":
            from tre.checkpoint.history import read_handover
            from tre.checkpoint.statement import Handover

            real = read_handover(event.seq, event.prev_hash, event.body)
            fake = Handover(real.size, real.head, real.outgoing, intruder.verifier)
            event.body = audit.canonical_json(
                {"handover": note.sign(fake.text(), intruder)}  # the outgoing key never signed
            )

    rewrite_chain(signed, 3, handover_to_intruder)
    assert chain_alone_verifies(signed)
    report = check(signed)
    assert report.broken_handover == (3, "the outgoing key did not sign it")


def test_an_interrupted_rotation_finishes_on_the_next_checkpoint(
    signed: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    append(signed, 1)
    old = keys.require(signed).verifier

    def crash(settings: Settings) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(keys, "promote_next", crash)
    with pytest.raises(OSError, match="power cut"):
        publish.rotate(signed, "ada")  # the handover committed; the key was not swapped
    monkeypatch.undo()
    assert keys.require(signed).verifier == old and signed.audit_next_key_path.exists()
    append(signed, 1)  # the next change finishes the rotation and signs with the new key
    assert not signed.audit_next_key_path.exists()
    assert keys.require(signed).verifier != old
    report = check(signed, trusted=[old])
    assert report.ok and report.newest == 3


# --- the file --------------------------------------------------------------------------------
def test_a_torn_last_line_is_repaired_by_the_next_writer(signed: Settings) -> None:
    append(signed, 1)
    with signed.audit_checkpoints_path.open("a") as fh:
        fh.write('{"checkpoint":"half a li')  # a writer that crashed mid-line
    assert check(signed).ok  # readers skip it
    append(signed, 1)
    assert sizes(signed.audit_checkpoints_path) == [0, 1, 2]


def _age_newest(settings: Settings, hours: int) -> None:
    """Re-sign the newest checkpoint as if made `hours` ago (no waiting in tests)."""
    lines = settings.audit_checkpoints_path.read_text().splitlines(keepends=True)
    newest = publish.read_checkpoint(store.decode_line(lines[-1]))
    older = Checkpoint(
        newest.origin, newest.size, newest.head, newest.time - timedelta(hours=hours)
    )
    lines[-1] = store.encode_line(note.sign(older.text(), keys.require(settings)))
    settings.audit_checkpoints_path.write_text("".join(lines))


def test_interval_setting_signs_at_most_every_n_seconds(signed: Settings) -> None:
    lazy = load_settings(audit_checkpoint_interval_seconds=3600)
    _age_newest(lazy, 2)
    append(lazy, 3)
    assert sizes(lazy.audit_checkpoints_path) == [0, 1]  # the first change was due, not the rest
    assert check(lazy).uncovered == 2
    publish.sign_when_due(lazy)  # the operator service's round: not due yet
    assert sizes(lazy.audit_checkpoints_path) == [0, 1]
    _age_newest(lazy, 2)
    publish.sign_when_due(lazy)  # due: the events left after the last change are covered
    assert sizes(lazy.audit_checkpoints_path) == [0, 1, 3]
    append(lazy, 1)
    made = publish.publish(lazy)  # `tre audit checkpoint` signs whenever asked
    assert made is not None and made.size == 4
    assert check(lazy).ok


WRITER = """
import sys
from tre import audit
from tre.config import load_settings
from tre.db import session_scope
settings = load_settings()
for i in range(int(sys.argv[1])):
    with session_scope(settings) as session:
        audit.record(session, actor=sys.argv[2], action="test.event", object_type="t",
                     object_id=str(i))
"""


@pytest.mark.slow
def test_writers_in_separate_processes_append_whole_ordered_lines(signed: Settings) -> None:
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, "8", f"w{n}"], env=dict(os.environ))
        for n in range(3)
    ]
    assert [w.wait(timeout=300) for w in writers] == [0, 0, 0]
    found = sizes(signed.audit_checkpoints_path)
    assert found == sorted(found) and found[-1] == 24 and len(set(found)) == len(found)
    report = check(signed)
    assert report.ok and report.uncovered == 0


def test_checkpoints_signed_while_verifying_are_not_taken_for_a_cut(signed: Settings) -> None:
    """A live TRE keeps signing while `tre audit verify` reads its checkpoints."""
    from tre.checkpoint import source, verify

    append(signed, 2)
    with session_scope(signed) as session:
        walked, chain = verify.walk(session)
    append(signed, 2)  # committed and signed after the chain's pass
    trusted = [keys.require(signed).verifier]

    def extend(walk: verify.ChainWalk) -> audit.Verification:
        with session_scope(signed) as session:
            return walk.extend(session)

    spec = str(signed.audit_checkpoints_path)
    report = verify.check(walked, chain, source.read(spec), trusted, extend)
    assert report.ok and report.chain.events == 4 and report.uncovered == 0
    with session_scope(signed) as session:
        walked, chain = verify.walk(session)
    append(signed, 2)
    truncate(signed, 4)  # signed, then cut while verifying: the extension finds no event 5
    report = verify.check(walked, chain, source.read(spec), trusted, extend)
    found = report.contradiction
    assert found is not None and found.size == 5 and "shortened" in found.problem


@pytest.mark.slow
def test_a_rotation_among_writers_in_other_processes(signed: Settings) -> None:
    old = keys.require(signed).verifier
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, "10", f"w{n}"],
            env=dict(os.environ),
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    append(signed, 1)
    publish.rotate(signed, "ada")
    append(signed, 1)
    errors = [w.communicate(timeout=300)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0]
    assert not any("Not signing" in e or "not written" in e for e in errors), errors
    publish.publish(signed)  # whatever the writers' last commits left
    report = check(signed, trusted=[old])
    assert report.ok and report.chain.events == 23 and report.uncovered == 0
    assert len(report.keys) == 2
