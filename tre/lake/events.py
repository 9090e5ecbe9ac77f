"""Audit events for lake actions (ingest, opt-out).

`record_event` appends an event through `tre.audit.record` in a control-database transaction
when the governance modules are installed; bodies carry counts and pseudonyms, never values.
Returns whether an event was written.
"""

from __future__ import annotations

import importlib
from typing import Any

from tre.config import Settings, current_actor


def record_event(
    settings: Settings, action: str, object_type: str, object_id: str, body: dict[str, Any]
) -> bool:
    try:
        audit = importlib.import_module("tre.audit")
        db = importlib.import_module("tre.db")
    except ImportError:
        return False
    record = getattr(audit, "record", None)
    session_scope = getattr(db, "session_scope", None)
    if record is None or session_scope is None:
        return False
    with session_scope(settings) as session:
        record(
            session,
            actor=current_actor(),
            action=action,
            object_type=object_type,
            object_id=object_id,
            body=body,
        )
    return True
