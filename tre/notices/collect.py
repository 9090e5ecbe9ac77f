"""Notices from audit events: which events make one, for whom, and what it says.

`KINDS` maps an audit action to the English message of its notice (translated when shown,
context `notice`); an airlock event makes a notice when it moved a request to one of the states
named there (`airlock.<state>`).
Recipients are the project's applicant and members at the time of collection, except the
person who acted. Message parameters are ids, states and dates: never a record value.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tre.config import Settings
from tre.db import AuditEvent, Project, session_scope
from tre.i18n import translations
from tre.notices.models import Notice, NoticeCursor

BATCH = 1000
CURSOR_ID = 1

# audit action -> the notice's message (English; `{...}` filled from its params)
KINDS: dict[str, str] = {
    "project.ask": "The review body asked questions about application {project}: answer them "
    "on the application's page.",
    "project.approve": "The permit for {project} was granted ({valid_from} to {valid_to}).",
    "project.reject": "Application {project} was rejected; the reasons are on its page.",
    "project.revoke": "The permit for {project} was revoked: its workspaces stop and its extract "
    "is deleted.",
    "project.provision": "The data of {project} is ready: you can start its workspace.",
    "project.refresh": "The data of {project} was rebuilt: restart its workspace to see it.",
    "project.permit_expiring": "The permit for {project} ends on {valid_to}. Ask for an extension "
    "before then if you need one.",
    "project.extract_delete": "The extract of {project} was deleted; your scripts and outputs "
    "are kept.",
    # a release request moved to this state
    "airlock.in_review": "Release request {request} of {project} is being reviewed.",
    "airlock.reviewed": "Release request {request} of {project} was reviewed and awaits a "
    "decision.",
    "airlock.returned": "Release request {request} of {project} was returned for changes.",
    "airlock.approved": "Release request {request} of {project} was approved.",
    "airlock.released": "Release request {request} of {project} was released: its files can be "
    "downloaded.",
    "airlock.rejected": "Release request {request} of {project} was rejected.",
    "airlock.withdrawn": "Release request {request} of {project} was withdrawn.",
    "airlock.revoked": "The release of request {request} of {project} was revoked: its files "
    "can no longer be downloaded.",
}


def message(kind: str, params: dict[str, Any], lang: str) -> str:
    """The notice's text in `lang` (the gettext context is `notice`)."""
    text = translations(lang).pgettext("notice", KINDS.get(kind, kind))
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return KINDS.get(kind, kind)


def _notice_of(event: AuditEvent) -> tuple[str, str, dict[str, Any]] | None:
    """(kind, project id, params) of the notice `event` makes, or None."""
    body = json.loads(event.body)
    if event.object_type == "project" and event.action in KINDS:
        params = {"project": event.object_id}
        for key in ("valid_from", "valid_to", "days"):
            if key in body:
                params[key] = body[key]
        return event.action, event.object_id, params
    kind = f"airlock.{body.get('to')}"
    if event.object_type == "airlock_request" and kind in KINDS and "project" in body:
        params = {"project": body["project"], "request": event.object_id}
        return kind, str(body["project"]), params
    return None


def _recipients(session: Session, project_id: str, actor: str) -> list[str]:
    project = session.get(Project, project_id)
    if project is None:
        return []
    people = {project.applicant, *(m.username for m in project.members)}
    return sorted(people - {actor})


def collect(session: Session) -> int:
    """Turn the audit events after the cursor into notices (in the caller's transaction);
    return how many notices were made. Safe to run from several processes at once: the
    cursor row is locked while it is read and moved."""
    cursor = session.execute(
        select(NoticeCursor).where(NoticeCursor.id == CURSOR_ID).with_for_update()
    ).scalar_one_or_none()
    if cursor is None:
        cursor = NoticeCursor(id=CURSOR_ID, seq=0)
        session.add(cursor)
        session.flush()
    made = 0
    while True:
        events = (
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.seq > cursor.seq)
                .order_by(AuditEvent.seq)
                .limit(BATCH)
            )
            .scalars()
            .all()
        )
        if not events:
            return made
        for event in events:
            found = _notice_of(event)
            if found is not None:
                kind, project_id, params = found
                at = datetime.fromisoformat(event.at.replace("Z", "+00:00"))
                for username in _recipients(session, project_id, event.actor):
                    session.add(
                        Notice(
                            username=username, seq=event.seq, kind=kind, project_id=project_id,
                            object_id=event.object_id, params=params, at=at,
                        )
                    )  # fmt: skip
                    made += 1
            cursor.seq = event.seq
        session.flush()


def pending(settings: Settings) -> bool:
    """Whether audit events wait to be turned into notices (one small read)."""
    with session_scope(settings) as session:
        head = session.execute(select(func.max(AuditEvent.seq))).scalar() or 0
        done = session.execute(
            select(NoticeCursor.seq).where(NoticeCursor.id == CURSOR_ID)
        ).scalar()
    return head > (done or 0)


def refresh(settings: Settings) -> int:
    """`collect` in a transaction of its own, when anything waits."""
    if not pending(settings):
        return 0
    with session_scope(settings) as session:
        return collect(session)


def for_user(settings: Settings, username: str, limit: int = 100) -> list[dict[str, Any]]:
    """The person's notices, newest first."""
    refresh(settings)
    with session_scope(settings) as session:
        rows = session.execute(
            select(Notice)
            .where(Notice.username == username)
            .order_by(Notice.seq.desc())
            .limit(limit)
        ).scalars()
        return [
            {
                "id": n.id,
                "kind": n.kind,
                "project": n.project_id,
                "object": n.object_id,
                "params": dict(n.params),
                "at": n.at,
                "read": n.read_at is not None,
            }
            for n in rows
        ]


def unread(settings: Settings, username: str) -> int:
    refresh(settings)
    with session_scope(settings) as session:
        return int(
            session.execute(
                select(func.count(Notice.id)).where(
                    Notice.username == username, Notice.read_at.is_(None)
                )
            ).scalar()
            or 0
        )


def mark_read(settings: Settings, username: str) -> None:
    """Mark all of the person's notices read (only their own)."""
    with session_scope(settings) as session:
        session.execute(
            update(Notice)
            .where(Notice.username == username, Notice.read_at.is_(None))
            .values(read_at=datetime.now(UTC))
        )
