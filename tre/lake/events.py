"""Who may act on the lake, and audit events for lake actions (ingest, opt-out).

Each event is appended to the hash-chained audit log (`tre.audit.record`) in its own
control-database transaction, after the action it records has completed. Bodies carry
snapshot ids, source names, counts and pseudonyms: never record values.
"""

from __future__ import annotations

from typing import Any

from tre import audit, policy
from tre.config import Settings
from tre.db import session_scope
from tre.users import actor_document


def require(settings: Settings, actor: str, action: str) -> None:
    """Raise `PolicyDenied` unless the policy lets `actor` do lake `action` (`lake.ingest`,
    `optout.add`), before any work starts."""
    with session_scope(settings) as session:
        document = actor_document(session, actor)
    policy.require(settings, action, {"actor": document})


def record_event(
    settings: Settings,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    body: dict[str, Any],
) -> None:
    """Append the event as `actor`."""
    with session_scope(settings) as session:
        audit.record(
            session,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            body=body,
        )
