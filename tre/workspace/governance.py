"""Facts from the control database that the workspace side needs, in the policy's input shape.

The only module in tre.workspace that reads governance state (tre.db models). A project or
user the database does not know yields facts the policy refuses: this fails closed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tre.config import Settings
from tre.db import session_scope
from tre.db.models import Project, ProjectStatus
from tre.users import actor_document


def workspace_input(settings: Settings, username: str, project_id: str) -> dict[str, Any]:
    """Policy input for `workspace.start`: actor, project (status, members), permit."""
    with session_scope(settings) as session:
        actor = actor_document(session, username)
        project = session.get(Project, project_id)
        if project is None:
            return {"actor": actor, "project": {"id": project_id, "status": "unknown"}}
        permit = project.permit
        return {
            "actor": actor,
            "project": {
                "id": project.id,
                "status": project.status,
                "tier": project.tier,
                "applicant": project.applicant,
                "members": {m.username: m.role for m in project.members},
                "approvers": [d.actor for d in project.decisions if d.kind == "approve"],
                "provisioned": project.provisioned_at is not None,
            },
            "permit": None
            if permit is None
            else {
                "grant": permit.grant,
                "valid_from": permit.valid_from.isoformat(),
                "valid_to": permit.valid_to.isoformat(),
                "revoked": permit.revoked_at is not None,
            },
        }


def members(settings: Settings) -> dict[str, dict[str, str]]:
    """Approved projects' members: {project_id: {username: role}}."""
    with session_scope(settings) as session:
        projects = session.execute(
            select(Project).where(Project.status == ProjectStatus.APPROVED.value)
        ).scalars()
        return {p.id: {m.username: m.role for m in p.members} for p in projects}
