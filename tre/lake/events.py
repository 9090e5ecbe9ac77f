"""Audit events for lake actions (ingest, opt-out).

Each event is appended to the hash-chained audit log (`tre.audit.record`) in its own
control-database transaction, after the action it records has completed. Bodies carry
snapshot ids, source names, counts and pseudonyms: never record values.
"""

from __future__ import annotations

from typing import Any

from tre import audit
from tre.config import Settings, current_actor
from tre.db import session_scope


def record_event(
    settings: Settings,
    action: str,
    object_type: str,
    object_id: str,
    body: dict[str, Any],
    actor: str | None = None,
) -> None:
    """Append the event as `actor` (default: whoever runs the command)."""
    with session_scope(settings) as session:
        audit.record(
            session,
            actor=actor or current_actor(),
            action=action,
            object_type=object_type,
            object_id=object_id,
            body=body,
        )
