"""A request's history as its people read it: each state change, file change, review and
override, from the audit log (the record of what happened, so the page cannot disagree
with it). Reads of files are audited too but are not part of the history.

While reviews are blind, another reviewer's review of the current round is left out, like
their votes: its time alone would tell a second reviewer that the first has decided.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tre.db.airlock_models import AirlockRequest
from tre.db.models import AuditEvent

#: Audit actions (after `airlock.`) that the history shows.
SHOWN = frozenset(
    {
        "create",
        "add_file",
        "remove_file",
        "submit",
        "checks_done",
        "review",
        "reviews_complete",
        "reviews_disagree",
        "resolve",
        "conflicts_resolved",
        "override",
        "approve",
        "return",
        "reject",
        "release",
        "withdraw",
        "revoke",
    }
)
REVIEWS = frozenset({"review", "resolve"})


def history(
    session: Session, req: AirlockRequest, reader: str, blind: bool
) -> list[dict[str, Any]]:
    """Oldest first: {at, actor, action, from, to, path, round} of each shown event."""
    events = session.execute(
        select(AuditEvent)
        .where(AuditEvent.object_type == "airlock_request", AuditEvent.object_id == req.id)
        .order_by(AuditEvent.seq)
    ).scalars()
    shown = []
    for event in events:
        action = event.action.removeprefix("airlock.").removeprefix("release.")
        if action not in SHOWN:
            continue
        body = json.loads(event.body)
        if blind and action in REVIEWS and event.actor != reader and body.get("round") == req.round:
            continue
        shown.append(
            {
                "at": datetime.fromisoformat(event.at.replace("Z", "+00:00")),
                "actor": event.actor,
                "action": action,
                "from": body.get("from"),
                "to": body.get("to"),
                "path": body.get("path"),
                "round": body.get("round"),
            }
        )
    return shown


__all__ = ["SHOWN", "history"]
