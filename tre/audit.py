"""Append-only, hash-chained audit events.

Each event stores actor, action, object (type and id), time (ISO 8601 UTC) and a JSON body
that never carries record values. Its link is::

    hash = sha256(prev_hash + canonical_json(event)).hexdigest()

where `canonical_json(event)` is the event's fields (seq, at, actor, action, object_type,
object_id, body) as JSON with sorted keys and no spaces, and `prev_hash` is the previous
event's hash (64 zeros before the first). The `audit_head` row names the last event; an
append locks it (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions begin
IMMEDIATE), so concurrent appends queue and the chain stays linear.

`record` appends inside the caller's transaction, so an event exists exactly when the
state change it describes was committed; once that transaction has committed, a signed
checkpoint of the head is written outside the database (`tre.checkpoint.publish`).
`verify` recomputes the chain and names the first event that was altered, deleted, inserted
or reordered, or a tail that does not match the head (truncation, forged append). A tail cut
together with a rewritten head verifies here; it contradicts the signed checkpoints
(`tre.checkpoint.verify`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from tre.db.engine import session_settings
from tre.db.models import AuditEvent, AuditHead
from tre.errors import TreError

GENESIS_HASH = "0" * 64
HEAD_ID = 1
_SIGN_HOOK = "tre.audit.sign_after_commit"
_SCALARS = (str, int, float, bool, type(None))


class AuditBodyError(TreError):
    """A caller passed a body that is not plain JSON (a programming error)."""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no whitespace, UTF-8 kept: the bytes that get hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _check_body(value: Any, path: str = "body") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditBodyError(f"{path} has a non-string key")
            _check_body(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_body(item, f"{path}[{index}]")
    elif not isinstance(value, _SCALARS) or (isinstance(value, float) and value != value):
        raise AuditBodyError(f"{path} is not a JSON value ({type(value).__name__})")


def event_document(event: AuditEvent) -> dict[str, Any]:
    """The fields of `event` that the hash covers, body parsed."""
    return {
        "seq": event.seq,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "body": json.loads(event.body),
    }


def link_hash(prev_hash: str, document: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(document)).encode("utf-8")).hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lock_chain(session: Session) -> AuditHead:
    """Lock the chain head for the rest of the transaction (serialises audited writers)."""
    return session.execute(
        select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    ).scalar_one()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    body: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain in the caller's transaction and return it.

    `body` must be plain JSON and must not carry record values (names, identifiers of
    persons, cell contents): ids of TRE objects, counts, hashes and reasons only.
    """
    body = body or {}
    _check_body(body)
    head = lock_chain(session)
    event = AuditEvent(
        seq=head.seq + 1,
        at=now_iso(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        body=canonical_json(body),
        prev_hash=head.hash,
    )
    event.hash = link_hash(head.hash, event_document(event))
    session.add(event)
    head.seq, head.hash = event.seq, event.hash
    session.flush()
    _sign_after_commit(session)
    return event


def _sign_after_commit(session: Session) -> None:
    """Once per session: when its transaction has committed, sign a checkpoint of the head."""
    if not session.info.get(_SIGN_HOOK):
        session.info[_SIGN_HOOK] = True
        orm_event.listen(session, "after_commit", _after_commit)


def _after_commit(session: Session) -> None:
    settings = session_settings(session)
    if settings is None:  # a session not made by session_scope: the next change signs
        return
    from tre.checkpoint import publish  # it imports this module: loaded at first commit

    publish.sign_when_due(settings)


@dataclass(frozen=True)
class Verification:
    """Result of `verify`: `ok`, how many events were checked, and the first problem."""

    ok: bool
    events: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None


def verify(
    session: Session,
    batch_size: int = 1000,
    observe: Callable[[AuditEvent], None] | None = None,
    after: tuple[int, str] = (0, GENESIS_HASH),
) -> Verification:
    """Recompute the whole chain; stop at the first event that does not fit.

    `observe` is called with each event once it is known to extend the chain (checkpoint
    verification reads hashes and key handovers on the same single pass). `after` (length,
    hash) continues an earlier pass from there, over the events committed since.
    """
    head = session.execute(select(AuditHead).where(AuditHead.id == HEAD_ID)).scalar_one_or_none()
    if head is None:
        return Verification(False, 0, "", 0, "the audit head row is missing")
    checked, prev_hash = after
    expected_seq = checked + 1
    rows = session.execute(
        select(AuditEvent)
        .where(AuditEvent.seq > checked)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch_size)
    ).scalars()
    for event in rows:
        found = _check_link(event, expected_seq, prev_hash)
        if found:
            return Verification(False, checked, head.hash, found[0], found[1])
        checked += 1
        expected_seq, prev_hash = event.seq + 1, event.hash
        if observe is not None:
            observe(event)
    last_seq = expected_seq - 1
    if head.seq != last_seq or head.hash != prev_hash:
        if head.seq > last_seq:
            problem = f"events after {last_seq} are missing: the head records {head.seq}"
            return Verification(False, checked, head.hash, last_seq + 1, problem)
        problem = f"event {head.seq + 1} is beyond the recorded head (event {head.seq})"
        if head.seq == last_seq:
            problem = f"event {last_seq} does not match the recorded head"
        return Verification(False, checked, head.hash, min(head.seq + 1, last_seq), problem)
    return Verification(True, checked, head.hash)


def _check_link(event: AuditEvent, expected_seq: int, prev_hash: str) -> tuple[int, str] | None:
    """(first bad event number, what is wrong), or None when `event` extends the chain."""
    seq = event.seq
    if seq != expected_seq:
        if seq > expected_seq:
            return expected_seq, f"event {expected_seq} is missing (next stored event is {seq})"
        return seq, f"event {seq} is duplicated or out of order"
    if event.prev_hash != prev_hash:
        return seq, f"event {seq} does not link to the event before it"
    try:
        document = event_document(event)
    except ValueError:
        return seq, f"event {seq} has a body that is not JSON"
    if link_hash(prev_hash, document) != event.hash:
        return seq, f"event {seq} was altered: its hash does not match its contents"
    return None


def export(session: Session, since: str | None = None) -> Iterator[dict[str, Any]]:
    """Events (oldest first) at or after the ISO time `since`, as JSON-ready dicts."""
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if since:
        query = query.where(AuditEvent.at >= since)
    for event in session.execute(query.execution_options(yield_per=1000)).scalars():
        document = event_document(event)
        document["prev_hash"] = event.prev_hash
        document["hash"] = event.hash
        yield document
