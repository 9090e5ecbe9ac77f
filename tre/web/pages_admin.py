"""Admins: projects with their permit's lifecycle and extract, a project's members,
provisioning and revocation, audit verification, and the lake's ingest history.

Long work (provisioning, revocation, verifying the audit chain) runs as a background job
(`tre.web.jobs`) whose page shows its progress; every change goes through the same services
and policy as the command line. A refused change comes back on the same page with the
policy's reasons and the form as typed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tre import audit, policy, projects
from tre.db import session_scope
from tre.errors import NotFound, PolicyDenied, UserError
from tre.i18n import _
from tre.permits import lifecycle
from tre.users import actor_document
from tre.web import forms, i18n
from tre.web.jobs import Report

router = APIRouter()


def portal(request: Request) -> Any:
    return request.app.state.portal


def require_admin(request: Request) -> tuple[Any, str]:
    p = portal(request)
    user = p.user(request, required=True)
    if "admin" not in p.roles(user):
        raise PolicyDenied("admin.view", ["only admins may see the administration pages"])
    return p, str(user)


def _stages(p: Any) -> dict[str, dict[str, Any]]:
    from tre.db import Project
    from tre.extract.transparency import latest_builds

    today = datetime.now(UTC).date()
    warning = max(p.settings.permit_warning_days or [0])
    with session_scope(p.settings) as session:
        builds = latest_builds(session)
        found = {}
        for project in session.query(Project).all():
            build = builds.get(project.id)
            found[project.id] = {
                **lifecycle(project.permit, today, warning),
                "built_at": build.built_at if build else None,
                "optouts_as_of": build.optouts_as_of if build else None,
                "cohort_filter": project.permit.cohort_filter if project.permit else None,
            }
        return found


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request) -> HTMLResponse:
    p, user = require_admin(request)
    from tre.workspace.access import current_extract

    rows = projects.list_projects(p.settings, user)
    stages = _stages(p)
    for row in rows:
        row |= stages.get(row["id"], {})
        row["provisioned"] = current_extract(p.settings, row["id"]) is not None
    waiting = [r for r in rows if r["status"] == "submitted"]
    return p.render(request, "admin.html", projects=rows, applications=waiting)


def _extract_status(p: Any, project_id: str) -> dict[str, Any] | None:
    from tre.web.pages_review import _extract

    return _extract(p, project_id)


def project_page(
    request: Request,
    project_id: str,
    values: dict[str, str] | None = None,
    general: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    p, user = require_admin(request)
    r = projects.show(p.settings, user, project_id)
    stage = _stages(p).get(project_id, {})
    return p.render(
        request,
        "admin_project.html",
        status=status,
        r=r,
        stage=stage,
        extract=_extract_status(p, project_id),
        values=values or {},
        general=general or [],
        jobs=p.jobs.running_for(project_id),
    )


@router.get("/admin/projects/{project_id}", response_class=HTMLResponse)
def project(request: Request, project_id: str) -> HTMLResponse:
    return project_page(request, project_id)


@router.post("/admin/projects/{project_id}/members/{action}")
async def members(request: Request, project_id: str, action: str) -> Response:
    p, user = require_admin(request)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))
    username, role = str(form.get("username", "")).strip(), str(form.get("role", "")).strip()
    try:
        if action == "add":
            projects.add_member(p.settings, user, project_id, username, role)
        elif action == "role":
            projects.set_role(p.settings, user, project_id, username, role)
        elif action == "handover":
            projects.hand_over(p.settings, user, project_id, username)
        elif action == "remove":
            projects.remove_member(p.settings, user, project_id, username)
            from tre.workspace.enforce import notify_hub

            notify_hub(p.settings)
        else:
            raise NotFound(_("There is no such page."))
    except UserError as exc:
        general = forms.problems(exc, i18n.negotiate(request))[1]
        values = {"username": username, "role": role, "action": action}
        return project_page(request, project_id, values, general, status=400)
    return RedirectResponse(p.url(f"/admin/projects/{project_id}"), status_code=303)


def _start(request: Request, p: Any, user: str, kind: str, subject: str, work: Any) -> Response:
    job = p.jobs.start(kind, user, subject, i18n.negotiate(request), work)
    return RedirectResponse(p.url(f"/admin/jobs/{job.id}"), status_code=303)


@router.post("/admin/projects/{project_id}/provision")
async def provision(request: Request, project_id: str) -> Response:
    """Build (or rebuild) the project's extract in the background."""
    from tre.extract import service
    from tre.workspace.access import current_extract

    p, user = require_admin(request)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))
    projects.show(p.settings, user, project_id)  # a missing project is said here, not in a job
    rebuild = current_extract(p.settings, project_id) is not None
    build = service.refresh if rebuild else service.provision

    def work(report: Report) -> dict[str, Any]:
        return build(p.settings, project_id, user, report)

    return _start(request, p, user, "refresh" if rebuild else "provision", project_id, work)


@router.post("/admin/projects/{project_id}/revoke")
async def revoke(request: Request, project_id: str) -> Response:
    """Revoke the permit: workspaces stop, the extract is deleted, scripts are kept."""
    from tre.workspace.enforce import revoke_project

    p, user = require_admin(request)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))
    reason = str(form.get("reason", ""))
    if not reason.strip():
        values = {"reason": reason, "action": "revoke"}
        return project_page(request, project_id, values, [_("Give the reason for revoking.")], 400)

    def work(report: Report) -> dict[str, Any]:
        report(_("Revoking the permit"), 0, 2)
        result = revoke_project(p.settings, user, project_id, reason.strip())
        report(_("Revoking the permit"), 2, 2)
        return {"removed_builds": len(result["extract"]["removed_builds"])}

    return _start(request, p, user, "revoke", project_id, work)


@router.get("/admin/jobs/{job_id}", response_class=HTMLResponse)
def job(request: Request, job_id: str, follow: str = "") -> HTMLResponse:
    """The job's progress; it reloads itself only when the reader asked it to (`follow`):
    a page that changes by itself is hard to read with a screen reader."""
    p, user = require_admin(request)
    found = p.jobs.get(job_id, user)
    if found is None:
        raise NotFound(_("There is no such job (jobs are kept until the portal restarts)."))
    return p.render(request, "job.html", job=found, follow=bool(follow))


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> HTMLResponse:
    p, user = require_admin(request)
    return p.render(request, "admin_audit.html", job=p.jobs.latest(user, "audit_verify", "audit"))


@router.post("/admin/audit/verify")
async def verify(request: Request) -> Response:
    p, user = require_admin(request)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))

    def work(report: Report) -> dict[str, Any]:
        with session_scope(p.settings) as session:
            policy.require(p.settings, "audit.read", {"actor": actor_document(session, user)})
        report(_("Recomputing the hash chain"), 0, 1)
        with session_scope(p.settings) as session:
            result = audit.verify(session)
        report(_("Recomputing the hash chain"), 1, 1)
        return {
            "ok": result.ok,
            "events": result.events,
            "head_hash": result.head_hash,
            "bad_event": result.bad_seq,
            "problem": result.problem,
        }

    return _start(request, p, user, "audit_verify", "audit", work)


@router.get("/admin/ingests", response_class=HTMLResponse)
def ingests(request: Request) -> HTMLResponse:
    from tre.lake.snapshots import list_snapshots

    p, _user = require_admin(request)
    rows = [
        {
            "id": m["id"],
            "source": m["source"],
            "created_at": m["created_at"],
            "rows": m.get("rows"),
            "tables": sorted(m.get("tables", {})),
        }
        for m in reversed(list_snapshots(p.settings))
    ]
    return p.render(request, "admin_ingests.html", snapshots=rows)
