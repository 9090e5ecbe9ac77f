"""A permit's lifecycle: in force, ending soon, not yet begun, expired or revoked; and the
warnings before it ends.

`lifecycle(permit, today)` is the one place that says which stage a permit is at (the portal's
administration pages and the warnings read it). `warn_expiring(settings, today)` records, once
per permit and threshold (`permit_warning_days`), an audit event `project.permit_expiring`
that the project's members receive as a notice: the operator's loop runs it every round.
What happens at the end (workspaces stopped, extract deleted, scripts kept) is the operator
loop's work (`tre.workspace.enforce`, `tre.extract.service.delete_lapsed_extracts`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from tre import audit
from tre.config import Settings
from tre.db import AuditEvent, Project, ProjectStatus, session_scope
from tre.db.models import Permit

OPERATOR = "tre-operator"


def lifecycle(permit: Permit | None, today: date, warning_days: int = 30) -> dict[str, Any]:
    """The permit's stage (`none`, `pending`, `active`, `ending`, `expired`, `revoked`) and
    the days left until its last day (None when it is not in force)."""
    if permit is None:
        return {"stage": "none", "days_left": None}
    if permit.revoked_at is not None:
        return {"stage": "revoked", "days_left": None}
    if today < permit.valid_from:
        return {"stage": "pending", "days_left": None}
    if today > permit.valid_to:
        return {"stage": "expired", "days_left": None}
    left = (permit.valid_to - today).days
    return {"stage": "ending" if left < warning_days else "active", "days_left": left}


def _warned(settings: Settings) -> set[tuple[str, str, int]]:
    """(project, permit's last day, threshold) of every warning already given."""
    with session_scope(settings) as session:
        rows = session.execute(
            select(AuditEvent.object_id, AuditEvent.body).where(
                AuditEvent.action == "project.permit_expiring"
            )
        ).all()
    found = set()
    for project_id, body in rows:
        data = json.loads(body)
        found.add((project_id, str(data.get("valid_to")), int(data.get("days", 0))))
    return found


def warn_expiring(settings: Settings, today: date | None = None) -> list[tuple[str, int]]:
    """Record a warning for each approved project whose permit ends within one of the
    `permit_warning_days` thresholds and was not warned at that threshold; return
    (project, threshold) of those recorded."""
    today = today or datetime.now(UTC).date()
    thresholds = sorted(settings.permit_warning_days)
    if not thresholds:
        return []
    warned = _warned(settings)
    recorded = []
    with session_scope(settings) as session:
        approved = session.execute(
            select(Project).where(Project.status == ProjectStatus.APPROVED.value)
        ).scalars()
        for project in approved:
            permit = project.permit
            stage = lifecycle(permit, today, max(thresholds))
            if permit is None or stage["days_left"] is None:
                continue
            due = [t for t in thresholds if stage["days_left"] < t]
            if not due:
                continue
            threshold = min(due)  # the nearest threshold passed: one warning per round
            key = (project.id, permit.valid_to.isoformat(), threshold)
            if key in warned:
                continue
            audit.record(
                session,
                actor=OPERATOR,
                action="project.permit_expiring",
                object_type="project",
                object_id=project.id,
                body={"valid_to": key[1], "days": threshold, "days_left": stage["days_left"]},
            )
            recorded.append((project.id, threshold))
    return recorded
