"""Projects: apply, decide, revoke, members, and the public register.

Every function asks the policy first (`tre.policy.require`), then changes state and
records an audit event in the same transaction. `policy_input` builds the policy's view of
an actor and a project, for other services (extract, workspace, airlock) to extend.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tre import audit, policy
from tre.application import check_against_catalogue, read_application
from tre.config import Settings
from tre.db import Member, Permit, Project, ProjectDecision, ProjectStatus, session_scope
from tre.errors import InputError, NotFound
from tre.i18n import _
from tre.users import actor_document


def get_project(session: Session, project_id: str) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(
            _("There is no project {id}.").format(id=project_id),
            hint=_("See `tre project list`."),
        )
    return project


def project_document(project: Project) -> dict[str, Any]:
    """The policy's view of a project (no secret, no free text)."""
    return {
        "id": project.id,
        "status": project.status,
        "tier": project.tier,
        "applicant": project.applicant,
        "members": {m.username: m.role for m in project.members},
        "approvers": sorted({d.actor for d in project.decisions if d.kind == "approve"}),
        "provisioned": project.provisioned_at is not None,
    }


def policy_input(
    session: Session, actor: str, project: Project | None = None, **extra: Any
) -> dict[str, Any]:
    """Input for `tre.policy.require`: actor, project and its latest permit, plus `extra`."""
    document: dict[str, Any] = {"actor": actor_document(session, actor)}
    if project is not None:
        document["project"] = project_document(project)
        if project.permit is not None:
            document["permit"] = project.permit.document()
    document.update(extra)
    return document


def apply(settings: Settings, actor: str, path: Path) -> dict[str, Any]:
    """Submit an application from a YAML file; the applicant becomes the project's lead."""
    application = read_application(path)
    tier = check_against_catalogue(settings, application)
    with session_scope(settings) as session:
        policy.require(settings, "project.apply", policy_input(session, actor))
        audit.lock_chain(session)  # concurrent applications get distinct numbers
        number = (session.execute(select(func.max(Project.number))).scalar() or 0) + 1
        project = Project(
            id=f"p-{number}",
            number=number,
            title=application.title,
            lay_summary=application.lay_summary,
            purpose=application.purpose.value,
            organisation=application.organisation,
            requested=application.datasets,
            period_start=application.period.start,
            period_end=application.period.end,
            status=ProjectStatus.SUBMITTED.value,
            tier=tier,
            applicant=actor,
            pseudonym_secret=secrets.token_bytes(32),
        )
        session.add(project)
        session.add(Member(project=project, username=actor, role="lead", added_by=actor))
        session.flush()
        _audit(
            session, actor, "project.apply", project,
            datasets=application.datasets, purpose=project.purpose, tier=tier,
        )  # fmt: skip
        return summary(project)


def approve(
    settings: Settings,
    actor: str,
    project_id: str,
    valid_to: date | None = None,
    reason: str = "",
    valid_from: date | None = None,
    cohort_filter: str | None = None,
) -> dict[str, Any]:
    """Approve an application and issue its permit for the requested datasets.

    `cohort_filter` (a SQL condition on the granted patient columns, already checked with
    `tre.extract.service.checked_cohort_filter`) restricts the permit to matching persons.
    """
    cohort_filter = cohort_filter or None  # "" is no filter
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        start = valid_from or max(project.period_start, datetime.now(UTC).date())
        end = valid_to or project.period_end
        permit = {
            "grant": project.requested,
            "valid_from": start.isoformat(),
            "valid_to": end.isoformat(),
            "revoked": False,
            "cohort_filter": cohort_filter,
        }
        policy.require(
            settings, "project.approve", policy_input(session, actor, project, permit=permit)
        )
        session.add(
            Permit(
                project=project,
                grant=project.requested,
                valid_from=start,
                valid_to=end,
                cohort_filter=cohort_filter,
                created_by=actor,
            )
        )
        _decide(
            session, project, actor, "approve", reason, ProjectStatus.APPROVED,
            valid_from=permit["valid_from"], valid_to=permit["valid_to"], grant=project.requested,
            cohort_filter=permit["cohort_filter"],
        )  # fmt: skip
        return summary(project)


def reject(settings: Settings, actor: str, project_id: str, reason: str = "") -> dict[str, Any]:
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        policy.require(settings, "project.reject", policy_input(session, actor, project))
        _decide(session, project, actor, "reject", reason, ProjectStatus.REJECTED)
        return summary(project)


def revoke(settings: Settings, actor: str, project_id: str, reason: str = "") -> dict[str, Any]:
    """Revoke an approved project and its permit: workspaces, releases and downloads stop."""
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        policy.require(settings, "project.revoke", policy_input(session, actor, project))
        now = datetime.now(UTC)
        for permit in project.permits:
            if permit.revoked_at is None:
                permit.revoked_at, permit.revoked_by, permit.revoked_reason = now, actor, reason
        _decide(session, project, actor, "revoke", reason, ProjectStatus.REVOKED)
        return summary(project)


def _decide(
    session: Session,
    project: Project,
    actor: str,
    kind: str,
    reason: str,
    status: ProjectStatus,
    **body: Any,
) -> None:
    """Record a decision on a project, move it to `status`, and audit it as `project.<kind>`."""
    now = datetime.now(UTC)
    session.add(ProjectDecision(project=project, kind=kind, actor=actor, reason=reason, at=now))
    project.status = status.value
    project.decided_at = now
    session.flush()
    _audit(session, actor, f"project.{kind}", project, **body, reason=reason)


def _audit(session: Session, actor: str, action: str, project: Project, **body: Any) -> None:
    audit.record(
        session, actor=actor, action=action, object_type="project", object_id=project.id,
        body=body,
    )  # fmt: skip


def add_member(
    settings: Settings, actor: str, project_id: str, username: str, role: str
) -> dict[str, Any]:
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        member_doc = actor_document(session, username) | {"role": role}
        policy.require(
            settings,
            "project.members.add",
            policy_input(session, actor, project, member=member_doc),
        )
        existing = next((m for m in project.members if m.username == username), None)
        if existing is not None:
            existing.role = role
        else:
            project.members.append(Member(username=username, role=role, added_by=actor))
        session.flush()
        _audit(session, actor, "project.members.add", project, member=username, role=role)
        return summary(project)


def remove_member(settings: Settings, actor: str, project_id: str, username: str) -> dict[str, Any]:
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        policy.require(
            settings,
            "project.members.remove",
            policy_input(session, actor, project, member={"username": username}),
        )
        member = next((m for m in project.members if m.username == username), None)
        if member is None:
            raise InputError(_("That user is not a member of this project."))
        project.members.remove(member)
        session.flush()
        _audit(session, actor, "project.members.remove", project, member=username)
        return summary(project)


def summary(project: Project) -> dict[str, Any]:
    """Everything about a project a member may see (never the pseudonym secret)."""
    permit = project.permit
    return {
        "id": project.id,
        "title": project.title,
        "status": project.status,
        "purpose": project.purpose,
        "organisation": project.organisation,
        "lay_summary": project.lay_summary,
        "applicant": project.applicant,
        "tier": project.tier,
        "datasets": project.requested,
        "period": {"start": project.period_start, "end": project.period_end},
        "members": [{"username": m.username, "role": m.role} for m in project.members],
        "decisions": [
            {"kind": d.kind, "actor": d.actor, "at": d.at, "reason": d.reason}
            for d in project.decisions
        ],
        "permit": None
        if permit is None
        else {
            "grant": permit.grant,
            "valid_from": permit.valid_from,
            "valid_to": permit.valid_to,
            "revoked_at": permit.revoked_at,
            "revoked_reason": permit.revoked_reason,
            "cohort_filter": permit.cohort_filter,
        },
    }


def show(settings: Settings, actor: str, project_id: str) -> dict[str, Any]:
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        policy.require(settings, "project.view", policy_input(session, actor, project))
        return summary(project)


def list_projects(settings: Settings, actor: str) -> list[dict[str, Any]]:
    """The projects `actor` may see."""
    with session_scope(settings) as session:
        projects = session.execute(select(Project).order_by(Project.number)).scalars().all()
        visible = []
        for project in projects:
            decision = policy.decide(
                settings, "project.view", policy_input(session, actor, project)
            )
            if decision.allow:
                visible.append({k: v for k, v in summary(project).items() if k in LIST_FIELDS})
        return visible


LIST_FIELDS = ("id", "title", "status", "purpose", "organisation", "tier")


def register(settings: Settings) -> list[dict[str, Any]]:
    """The public register: approved projects (and revoked ones, marked), no login needed."""
    policy.require(settings, "register.view", {})
    with session_scope(settings) as session:
        projects = session.execute(
            select(Project)
            .where(Project.status.in_([ProjectStatus.APPROVED.value, ProjectStatus.REVOKED.value]))
            .order_by(Project.number)
        ).scalars()
        entries = []
        for project in projects:
            approved = next((d.at for d in project.decisions if d.kind == "approve"), None)
            entries.append(
                {
                    "id": project.id,
                    "title": project.title,
                    "organisation": project.organisation,
                    "lay_summary": project.lay_summary,
                    "purpose": project.purpose,
                    "datasets": sorted(project.requested),
                    "period": {"start": project.period_start, "end": project.period_end},
                    "approved_at": approved,
                    "status": project.status,
                }
            )
        return entries
