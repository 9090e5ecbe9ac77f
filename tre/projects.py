"""Projects: apply, questions and answers, decide, revoke, members, and the public register.

Every function asks the policy first (`tre.policy.require`), then changes state and
records an audit event in the same transaction. `policy_input` builds the policy's view of
an actor and a project, for other services (extract, workspace, airlock) to extend.

An application's life: `submitted` -> `returned` (the review body asked questions) ->
`submitted` (the applicant answered) ... -> `approved` (a permit is issued) or `rejected`;
an approved project can be `revoked`. Members change only explicitly: adding someone who is
already a member is refused, a role changes with `set_role`, and the lead changes only by
`hand_over` to another member, so a project always has exactly one lead.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tre import audit, policy
from tre.application import (
    TIER_ORDER,
    Application,
    check_against_catalogue,
    data_tier,
    read_application,
)
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
    return submit_application(settings, actor, read_application(path))


def _team_document(session: Session, team: list[str]) -> list[dict[str, Any]]:
    return [actor_document(session, username) for username in team]


def submit_application(settings: Settings, actor: str, application: Application) -> dict[str, Any]:
    """Create a submitted project from a validated application (the YAML file's or the
    portal's form): the applicant leads it, the team join as analysts."""
    tier = check_against_catalogue(settings, application)
    with session_scope(settings) as session:
        team = _team_document(session, application.team)
        policy.require(settings, "project.apply", policy_input(session, actor, team=team))
        audit.lock_chain(session)  # concurrent applications get distinct numbers
        number = (session.execute(select(func.max(Project.number))).scalar() or 0) + 1
        project = Project(
            id=f"p-{number}",
            number=number,
            status=ProjectStatus.SUBMITTED.value,
            tier=tier,
            applicant=actor,
            pseudonym_secret=secrets.token_bytes(32),
        )
        _set_application(project, application)
        session.add(project)
        session.add(Member(project=project, username=actor, role="lead", added_by=actor))
        for username in application.team:
            session.add(Member(project=project, username=username, role="analyst", added_by=actor))
        session.flush()
        _audit(
            session, actor, "project.apply", project,
            datasets=application.datasets, purpose=project.purpose, tier=tier,
            team=application.team,
        )  # fmt: skip
        return summary(project)


def _set_application(project: Project, application: Application) -> None:
    project.title = application.title
    project.lay_summary = application.lay_summary
    project.purpose = application.purpose.value
    project.purpose_description = application.purpose_description
    project.lawful_basis = application.lawful_basis.value
    project.expected_outputs = application.expected_outputs
    project.proposed_tier = application.tier
    project.organisation = application.organisation
    project.requested = application.datasets
    project.period_start = application.period.start
    project.period_end = application.period.end


def application_of(project: Project) -> dict[str, Any]:
    """The project's application in the schema's shape (what `to_yaml` writes)."""
    analysts = [m.username for m in project.members if m.role == "analyst"]
    return {
        "title": project.title,
        "organisation": project.organisation,
        "lay_summary": project.lay_summary,
        "purpose": project.purpose,
        "purpose_description": project.purpose_description,
        "lawful_basis": project.lawful_basis,
        "datasets": project.requested,
        "expected_outputs": project.expected_outputs,
        "team": analysts,
        "period": {"start": project.period_start, "end": project.period_end},
        "tier": project.proposed_tier,
    }


def current_application(settings: Settings, actor: str, project_id: str) -> Application:
    """The project's application as it stands, for someone who may see the project."""
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        policy.require(settings, "project.view", policy_input(session, actor, project))
        return Application.model_validate(application_of(project))


def ask(settings: Settings, actor: str, project_id: str, question: str) -> dict[str, Any]:
    """The review body asks the applicant questions: the application goes back to them."""
    question = question.strip()
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        policy.require(
            settings, "project.ask", policy_input(session, actor, project, text=question)
        )
        _decide(session, project, actor, "ask", question, ProjectStatus.RETURNED)
        return summary(project)


def resubmit(
    settings: Settings, actor: str, project_id: str, application: Application, answer: str
) -> dict[str, Any]:
    """The applicant answers the questions, with the application as it now stands."""
    answer = answer.strip()
    tier = check_against_catalogue(settings, application)
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        team = _team_document(session, application.team)
        document = policy_input(session, actor, project, text=answer, team=team)
        policy.require(settings, "project.resubmit", document)
        before = application_of(project)
        _set_application(project, application)
        project.tier = tier
        lead = next(m.username for m in project.members if m.role == "lead")
        wanted = set(application.team) - {lead}
        for member in list(project.members):
            if member.role == "analyst" and member.username not in wanted:
                project.members.remove(member)
        present = {m.username for m in project.members}
        for username in application.team:
            if username not in present:
                project.members.append(Member(username=username, role="analyst", added_by=actor))
        session.flush()
        after = application_of(project)
        changed = sorted(k for k in after if after[k] != before[k])
        _decide(
            session, project, actor, "answer", answer, ProjectStatus.SUBMITTED,
            action="project.resubmit", changed=changed,
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
    grant: dict[str, list[str]] | None = None,
    tier: str | None = None,
) -> dict[str, Any]:
    """Approve an application and issue its permit on these terms.

    `grant` (default: what was applied for) may only narrow the application; `tier` (default:
    the project's) may not be below what the granted data needs. `cohort_filter` (a SQL
    condition on the granted patient columns, already checked with
    `tre.extract.service.checked_cohort_filter`) restricts the permit to matching persons.
    """
    cohort_filter = cohort_filter or None  # "" is no filter
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        granted = {k: list(v) for k, v in (grant or project.requested).items()}
        needed = data_tier(settings, granted) if granted else "standard"
        chosen = tier or max(project.tier, needed, key=TIER_ORDER.index)
        start = valid_from or max(project.period_start, datetime.now(UTC).date())
        end = valid_to or project.period_end
        permit = {
            "grant": granted,
            "requested": project.requested,
            "valid_from": start.isoformat(),
            "valid_to": end.isoformat(),
            "revoked": False,
            "cohort_filter": cohort_filter,
            "tier": chosen,
            "required_tier": needed,
        }
        policy.require(
            settings, "project.approve", policy_input(session, actor, project, permit=permit)
        )
        session.add(
            Permit(
                project=project,
                grant=granted,
                valid_from=start,
                valid_to=end,
                cohort_filter=cohort_filter,
                tier=chosen,
                created_by=actor,
            )
        )
        project.tier = chosen
        _decide(
            session, project, actor, "approve", reason, ProjectStatus.APPROVED,
            valid_from=permit["valid_from"], valid_to=permit["valid_to"], grant=granted,
            cohort_filter=permit["cohort_filter"], tier=chosen,
        )  # fmt: skip
        return summary(project)


def reject(settings: Settings, actor: str, project_id: str, reason: str = "") -> dict[str, Any]:
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        document = policy_input(session, actor, project, text=reason.strip())
        policy.require(settings, "project.reject", document)
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
    action: str = "",
    **body: Any,
) -> None:
    """Record a decision on a project, move it to `status`, and audit it as `action`
    (default `project.<kind>`)."""
    now = datetime.now(UTC)
    session.add(ProjectDecision(project=project, kind=kind, actor=actor, reason=reason, at=now))
    project.status = status.value
    project.decided_at = now
    session.flush()
    _audit(session, actor, action or f"project.{kind}", project, **body, reason=reason)


def _audit(session: Session, actor: str, action: str, project: Project, **body: Any) -> None:
    audit.record(
        session, actor=actor, action=action, object_type="project", object_id=project.id,
        body=body,
    )  # fmt: skip


def add_member(
    settings: Settings, actor: str, project_id: str, username: str, role: str
) -> dict[str, Any]:
    """Add `username` with `role`. Someone already a member is refused: a role changes only
    with `set_role`, the lead only with `hand_over`."""
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        _require_member_action(settings, session, actor, project, "add", username, role)
        project.members.append(Member(username=username, role=role, added_by=actor))
        session.flush()
        _audit(session, actor, "project.members.add", project, member=username, role=role)
        return summary(project)


def set_role(
    settings: Settings, actor: str, project_id: str, username: str, role: str
) -> dict[str, Any]:
    """Change a member's role (never to or from lead: see `hand_over`)."""
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        _require_member_action(settings, session, actor, project, "role", username, role)
        member = _member(project, username)
        old, member.role = member.role, role
        session.flush()
        _audit(session, actor, "project.members.role", project, member=username, role=role, was=old)
        return summary(project)


def hand_over(settings: Settings, actor: str, project_id: str, username: str) -> dict[str, Any]:
    """Make `username` (an analyst member) the lead; the old lead stays as an analyst."""
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        _require_member_action(settings, session, actor, project, "handover", username, "lead")
        old = next(m for m in project.members if m.role == "lead")
        old.role = "analyst"
        _member(project, username).role = "lead"
        session.flush()
        _audit(
            session, actor, "project.members.handover", project, member=username, was=old.username
        )
        return summary(project)


def remove_member(settings: Settings, actor: str, project_id: str, username: str) -> dict[str, Any]:
    with session_scope(settings) as session:
        project = get_project(session, project_id)
        _require_member_action(settings, session, actor, project, "remove", username)
        project.members.remove(_member(project, username))
        session.flush()
        _audit(session, actor, "project.members.remove", project, member=username)
        return summary(project)


def _member(project: Project, username: str) -> Member:
    found = next((m for m in project.members if m.username == username), None)
    if found is None:
        raise InputError(_("That user is not a member of this project."))
    return found


def _require_member_action(
    settings: Settings,
    session: Session,
    actor: str,
    project: Project,
    action: str,
    username: str,
    role: str = "",
) -> None:
    member_doc = actor_document(session, username) | {"role": role}
    document = policy_input(session, actor, project, member=member_doc)
    policy.require(settings, f"project.members.{action}", document)


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
        "purpose_description": project.purpose_description,
        "lawful_basis": project.lawful_basis,
        "expected_outputs": project.expected_outputs,
        "proposed_tier": project.proposed_tier,
        "applicant": project.applicant,
        "tier": project.tier,
        "datasets": project.requested,
        "period": {"start": project.period_start, "end": project.period_end},
        "created_at": project.created_at,
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
            "tier": permit.tier or project.tier,
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


PUBLISHED = (ProjectStatus.APPROVED, ProjectStatus.REJECTED, ProjectStatus.REVOKED)


def register(settings: Settings) -> list[dict[str, Any]]:
    """The public register of decisions (審査内容と結果の公表), no login needed: every
    decided application with its purpose, the data used (granted, or asked for when
    rejected), the permit period, and a summary of the review (when it was submitted, how
    many rounds of questions, the decision, its date and reasons). Names no reviewer."""
    policy.require(settings, "register.view", {})
    with session_scope(settings) as session:
        projects = session.execute(
            select(Project)
            .where(Project.status.in_([status.value for status in PUBLISHED]))
            .order_by(Project.number)
        ).scalars()
        return [_register_entry(project) for project in projects]


def _register_entry(project: Project) -> dict[str, Any]:
    decisions = {d.kind: d for d in project.decisions}  # the latest of each kind
    decided = decisions.get("approve") or decisions.get("reject")
    permit = project.permit
    data = permit.grant if permit is not None else project.requested
    return {
        "id": project.id,
        "title": project.title,
        "organisation": project.organisation,
        "lay_summary": project.lay_summary,
        "purpose": project.purpose,
        "purpose_description": project.purpose_description,
        "lawful_basis": project.lawful_basis,
        "data": {name: sorted(columns) for name, columns in sorted(data.items())},
        "datasets": sorted(data),
        "tier": project.tier,
        "period": {"start": project.period_start, "end": project.period_end},
        "permit": None
        if permit is None
        else {"valid_from": permit.valid_from, "valid_to": permit.valid_to},
        "submitted_at": project.created_at,
        "question_rounds": sum(1 for d in project.decisions if d.kind == "ask"),
        "decision": decided.kind if decided else None,
        "decided_at": decided.at if decided else None,
        "reasons": decided.reason if decided else "",
        "approved_at": decisions["approve"].at if "approve" in decisions else None,
        "revoked_at": decisions["revoke"].at if "revoke" in decisions else None,
        "revoked_reason": decisions["revoke"].reason if "revoke" in decisions else "",
        "status": project.status,
    }
