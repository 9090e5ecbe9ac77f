"""One step of a release request, as every change takes it: check the move against the
state table (`states.check_transition`), ask the policy (`tre.policy.require`, which raises
with the policy's reasons), set the new state and append the audit event, all in the
caller's transaction. A refusal at any step changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from tre import audit, policy
from tre.airlock import facts
from tre.airlock.states import EDITABLE, State, check_transition
from tre.airlock.store import ContentStore
from tre.config import Settings
from tre.db.airlock_models import AirlockRequest
from tre.errors import InvalidTransition, NotFound
from tre.i18n import _


def now() -> datetime:
    return datetime.now(UTC)


def content_store(settings: Settings) -> ContentStore:
    return ContentStore(settings.airlock_path / "store")


def load(session: Session, request_id: str) -> AirlockRequest:
    req = session.get(AirlockRequest, request_id)
    if req is None:
        raise NotFound(
            _("There is no release request {id}.").format(id=request_id),
            hint=_("List requests with `tre airlock list`."),
        )
    return req


def audit_event(
    session: Session, actor: str, action: str, req: AirlockRequest, **body: Any
) -> None:
    """Append `airlock.<action>` on `req` to the audit log; bodies never hold record values."""
    audit.record(
        session,
        actor=actor,
        action=f"airlock.{action}",
        object_type="airlock_request",
        object_id=req.id,
        body={"project": req.project_id, **body},
    )


def move(
    session: Session,
    settings: Settings,
    req: AirlockRequest,
    actor: str,
    action: str,
    policy_action: str | None,
    extra: dict[str, Any] | None = None,
    **body: Any,
) -> None:
    """Check the table, then the policy, then set the state and audit it."""
    target = check_transition(req.status, action)
    if policy_action is not None:
        doc = facts.policy_input(session, settings, actor, req.project_id, req)
        policy.require(settings, policy_action, {**doc, **(extra or {})})
    old = req.status
    req.status = target.value
    req.updated_at = now()
    audit_event(session, actor, action, req, **{"from": old, "to": target.value, **body})


def require_editable(session: Session, settings: Settings, actor: str, req: AirlockRequest) -> None:
    """Only the author (as the policy says) may change a draft or a returned request."""
    doc = facts.policy_input(session, settings, actor, req.project_id, req)
    policy.require(settings, "airlock.submit", doc)
    if State(req.status) not in EDITABLE:
        raise InvalidTransition(
            _("A request in state '{state}' can no longer be changed.").format(state=req.status),
            hint=_("Only draft or returned requests can be edited."),
        )
