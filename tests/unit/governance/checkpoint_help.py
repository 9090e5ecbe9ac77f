"""What the checkpoint tests share: appending events, attacking the database as its owner
would, forging checkpoints files, and verifying against a source (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select

from tre import audit
from tre.checkpoint import keys, note, source, store
from tre.checkpoint.note import Signer, Verifier
from tre.checkpoint.statement import Checkpoint
from tre.checkpoint.verify import Report, verify
from tre.config import Settings
from tre.db import AuditEvent, AuditHead, session_scope


def append(settings: Settings, n: int, actor: str = "ada", tag: str = "p") -> None:
    """`n` audited changes, each its own committed transaction (each signs a checkpoint)."""
    for i in range(n):
        with session_scope(settings) as session:
            audit.record(
                session,
                actor=actor,
                action="test.event",
                object_type="project",
                object_id=f"{tag}-{i}",
                body={"i": i},
            )


def check(
    settings: Settings, against: Path | str | None = None, trusted: list[Verifier] | None = None
) -> Report:
    """Verify the chain against a checkpoints source, trusting the TRE's own key by default."""
    spec = str(against or settings.audit_checkpoints_path)
    keys_ = trusted if trusted is not None else [keys.require(settings).verifier]
    with session_scope(settings) as session:
        return verify(session, source.read(spec), keys_)


def sizes(path: Path) -> list[int]:
    return [
        Checkpoint.parse(note.parse(store.decode_line(line)).text).size
        for _n, line in store.read_lines(path)
    ]


# --- what someone with write access to the database can do ---------------------------------
def truncate(settings: Settings, keep: int) -> None:
    """Delete the events after `keep` and point the head at the last one kept."""
    with session_scope(settings) as session:
        session.execute(delete(AuditEvent).where(AuditEvent.seq > keep))
        last = session.get(AuditEvent, keep)
        head = session.get(AuditHead, audit.HEAD_ID)
        assert last is not None and head is not None
        head.seq, head.hash = keep, last.hash


def rewrite_chain(settings: Settings, start: int, edit: Callable[[AuditEvent], None]) -> None:
    """Change events from `start` on and recompute every later hash and the head."""
    with session_scope(settings) as session:
        events = (
            session.execute(
                select(AuditEvent).where(AuditEvent.seq >= start).order_by(AuditEvent.seq)
            )
            .scalars()
            .all()
        )
        before = session.get(AuditEvent, start - 1)
        prev = before.hash if before is not None else audit.GENESIS_HASH
        for event in events:
            edit(event)
            event.prev_hash = prev
            event.hash = audit.link_hash(prev, audit.event_document(event))
            prev = event.hash
        head = session.get(AuditHead, audit.HEAD_ID)
        assert head is not None
        head.seq, head.hash = events[-1].seq, prev


def forged_append(settings: Settings, n: int, actor: str = "mallory") -> None:
    """Events appended straight into the tables, correctly linked, head moved along."""
    with session_scope(settings) as session:
        head = session.get(AuditHead, audit.HEAD_ID)
        assert head is not None
        for i in range(n):
            event = AuditEvent(
                seq=head.seq + 1,
                at=audit.now_iso(),
                actor=actor,
                action="project.approve",
                object_type="project",
                object_id=f"forged-{i}",
                body="{}",
                prev_hash=head.hash,
            )
            event.hash = audit.link_hash(head.hash, audit.event_document(event))
            session.add(event)
            head.seq, head.hash = event.seq, event.hash


def forge_checkpoints(settings: Settings, signer: Signer, path: Path) -> None:
    """A checkpoints file signed by `signer`, one checkpoint per length of today's chain."""
    with session_scope(settings) as session:
        chain = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq))
        heads = [(0, audit.GENESIS_HASH), *((int(s), str(h)) for s, h in chain)]
    now = datetime.now(UTC)
    path.write_text(
        "".join(
            store.encode_line(note.sign(Checkpoint(signer.name, s, h, now).text(), signer))
            for s, h in heads
        ),
        encoding="utf-8",
    )
