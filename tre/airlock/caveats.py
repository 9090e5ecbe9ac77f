"""What an author should know before submitting a request: files the checks block, files
already in another pending request of the project, and files the project has already
released (the same content, or another file under the same name: a reader can difference
the two). Each caveat names the file and the other request, never a value of the file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tre.airlock.states import TERMINAL, State
from tre.db.airlock_models import AirlockRequest, RequestFile

#: States in which another request still holds its files (not yet released or ended).
PENDING = frozenset(State) - TERMINAL - {State.RELEASED}


def caveats(session: Session, req: AirlockRequest) -> list[dict[str, Any]]:
    """Each caveat as {kind, path, other (request id), other_status}; kinds: blocked,
    pending_elsewhere, released_before, released_name."""
    found: list[dict[str, Any]] = [
        {"kind": "blocked", "path": f.path, "other": None, "other_status": None}
        for f in req.files
        if f.verdict == "block"
    ]
    digests = {f.sha256: f.path for f in req.files}
    names = {f.path: f.sha256 for f in req.files}
    others = session.execute(
        select(RequestFile, AirlockRequest)
        .join(AirlockRequest, AirlockRequest.id == RequestFile.request_id)
        .where(AirlockRequest.project_id == req.project_id, AirlockRequest.id != req.id)
        .where(RequestFile.sha256.in_(list(digests)) | RequestFile.path.in_(list(names)))
        .order_by(AirlockRequest.number, RequestFile.path)
    ).all()
    for row, other in others:
        state = State(other.status)
        same_content = row.sha256 in digests
        path = digests[row.sha256] if same_content else row.path
        kind = None
        if state in PENDING and same_content:
            kind = "pending_elsewhere"
        elif state == State.RELEASED and same_content:
            kind = "released_before"
        elif state == State.RELEASED:
            kind = "released_name"
        if kind is not None:
            found.append(
                {"kind": kind, "path": path, "other": other.id, "other_status": other.status}
            )
    return found


__all__ = ["PENDING", "caveats"]
