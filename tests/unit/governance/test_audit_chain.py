"""The audit chain: append, verify, and every kind of tampering caught (SQLite, PostgreSQL)."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import delete, select, text, update

from tre import audit
from tre.config import Settings, load_settings
from tre.db import AuditEvent, AuditHead, init_db, session_scope


def append(settings: Settings, n: int, actor: str = "ada") -> None:
    for i in range(n):
        with session_scope(settings) as session:
            audit.record(
                session,
                actor=actor,
                action="test.event",
                object_type="project",
                object_id=f"p-{i}",
                body={"i": i, "note": "café"},
            )


def check(settings: Settings) -> audit.Verification:
    with session_scope(settings) as session:
        return audit.verify(session)


def test_empty_chain_verifies(gov: Settings) -> None:
    result = check(gov)
    assert result.ok and result.events == 0 and result.head_hash == audit.GENESIS_HASH


def test_chain_links_and_verifies(gov: Settings) -> None:
    append(gov, 5)
    with session_scope(gov) as session:
        events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert events[0].prev_hash == audit.GENESIS_HASH
        for before, after in itertools.pairwise(events):
            assert after.prev_hash == before.hash
        assert audit.link_hash(events[2].prev_hash, audit.event_document(events[2])) == (
            events[2].hash
        )
    result = check(gov)
    assert result.ok and result.events == 5


def test_event_rolled_back_with_its_transaction(gov: Settings) -> None:
    append(gov, 2)
    with pytest.raises(RuntimeError), session_scope(gov) as session:
        audit.record(session, actor="ada", action="x", object_type="t", object_id="1")
        raise RuntimeError("state change failed")
    assert check(gov).ok
    assert check(gov).events == 2


def test_body_must_be_plain_json(gov: Settings) -> None:
    with pytest.raises(audit.AuditBodyError), session_scope(gov) as session:
        audit.record(
            session, actor="a", action="x", object_type="t", object_id="1", body={"o": object()}
        )


def tamper(settings: Settings, *statements: object) -> None:
    with session_scope(settings) as session:
        for statement in statements:
            session.execute(statement)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("name", "expected_seq"),
    [
        ("update_actor", 3),
        ("update_body", 3),
        ("update_time", 2),
        ("update_hash_too", 3),
        ("delete_middle", 3),
        ("delete_first", 1),
        ("delete_last", 5),
        ("swap_rows", 2),
        ("forged_append", 6),
        ("forged_append_wrong_hash", 6),
        ("insert_renumbered", 3),
    ],
)
def test_tampering_is_caught(gov: Settings, name: str, expected_seq: int) -> None:
    append(gov, 5)
    assert check(gov).ok
    events = AuditEvent.__table__
    if name == "update_actor":
        tamper(gov, update(AuditEvent).where(AuditEvent.seq == 3).values(actor="mallory"))
    elif name == "update_body":
        tamper(gov, update(AuditEvent).where(AuditEvent.seq == 3).values(body='{"i":99}'))
    elif name == "update_time":
        tamper(gov, update(AuditEvent).where(AuditEvent.seq == 2).values(at="2000-01-01T00:00Z"))
    elif name == "update_hash_too":
        # Rewrite event 3 and recompute its own hash: event 4 no longer links to it.
        with session_scope(gov) as session:
            event = session.get(AuditEvent, 3)
            assert event is not None
            event.actor = "mallory"
            event.hash = audit.link_hash(event.prev_hash, audit.event_document(event))
        expected_seq = 4
    elif name == "delete_middle":
        tamper(gov, delete(AuditEvent).where(AuditEvent.seq == 3))
    elif name == "delete_first":
        tamper(gov, delete(AuditEvent).where(AuditEvent.seq == 1))
    elif name == "delete_last":
        tamper(gov, delete(AuditEvent).where(AuditEvent.seq == 5))
    elif name == "swap_rows":
        # Exchange the positions of events 2 and 3 (seq numbers swapped).
        tamper(
            gov,
            update(AuditEvent).where(AuditEvent.seq == 2).values(seq=-2),
            update(AuditEvent).where(AuditEvent.seq == 3).values(seq=2),
            update(AuditEvent).where(AuditEvent.seq == -2).values(seq=3),
        )
    elif name.startswith("forged_append"):
        # A row appended behind the chain's back, correctly linked and hashed.
        with session_scope(gov) as session:
            last = session.get(AuditEvent, 5)
            assert last is not None
            forged = AuditEvent(
                seq=6,
                at=audit.now_iso(),
                actor="mallory",
                action="project.approve",
                object_type="project",
                object_id="p-1",
                body="{}",
                prev_hash=last.hash,
            )
            forged.hash = audit.link_hash(last.hash, audit.event_document(forged))
            if name == "forged_append_wrong_hash":
                forged.hash = "f" * 64
            session.add(forged)
    elif name == "insert_renumbered":
        # Shift events 3..5 up by one and slip a new event 3 in.
        for seq in (5, 4, 3):
            tamper(gov, update(AuditEvent).where(AuditEvent.seq == seq).values(seq=seq + 1))
        tamper(
            gov,
            events.insert().values(
                seq=3,
                at=audit.now_iso(),
                actor="mallory",
                action="x",
                object_type="t",
                object_id="1",
                body="{}",
                prev_hash="0" * 64,
                hash="0" * 64,
            ),
        )
    result = check(gov)
    assert not result.ok
    assert result.bad_seq == expected_seq, result.problem
    assert result.problem


def test_forged_append_with_head_rewritten_is_caught_by_anchor(gov: Settings) -> None:
    """A head that an attacker rewrote still differs from a hash exported earlier."""
    append(gov, 3)
    anchor = check(gov).head_hash
    append(gov, 1, actor="mallory")
    assert check(gov).head_hash != anchor


def test_missing_head_row_is_reported(gov: Settings) -> None:
    append(gov, 1)
    tamper(gov, delete(AuditHead))
    result = check(gov)
    assert not result.ok and "head" in (result.problem or "")


def test_concurrent_appends_keep_one_linear_chain(gov: Settings) -> None:
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            append(gov, 10, actor=name)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    result = check(gov)
    assert result.ok, result.problem
    assert result.events == 40


def test_export_since(gov: Settings) -> None:
    append(gov, 3)
    with session_scope(gov) as session:
        cutoff = session.execute(select(AuditEvent.at).where(AuditEvent.seq == 2)).scalar_one()
        exported = list(audit.export(session, cutoff))
        everything = list(audit.export(session))
    assert [e["seq"] for e in exported] == [2, 3]
    assert len(everything) == 3
    assert everything[0]["body"] == {"i": 0, "note": "café"}
    assert everything[0]["prev_hash"] == audit.GENESIS_HASH


def test_sqlite_runs_in_wal_mode() -> None:
    settings = load_settings()  # the default control database: SQLite in TRE_HOME
    init_db(settings)
    with session_scope(settings) as session:
        assert session.bind.dialect.name == "sqlite"  # type: ignore[union-attr]
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
