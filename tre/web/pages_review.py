"""The review body's side: the queue of applications, and on an application's page asking
questions, approving with the permit's terms, or rejecting with reasons.

Every decision goes through `tre.projects` (the policy decides, the audit log records, the
register publishes): these pages only collect the terms. The review section is shown to
approvers and admins; when the policy would refuse them (they applied, or are members) its
reasons are shown instead of the forms, and the server asks the policy again on every POST.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tre import policy, projects
from tre.db import session_scope
from tre.errors import InputError, UserError
from tre.i18n import _
from tre.web import forms, i18n
from tre.web.pages_apply import options

router = APIRouter()
REVIEWERS = {"approver", "admin"}


def portal(request: Request) -> Any:
    return request.app.state.portal


@router.get("/review", response_class=HTMLResponse)
def queue(request: Request) -> HTMLResponse:
    p = portal(request)
    user = p.user(request, required=True)
    rows = projects.list_projects(p.settings, user)
    if not REVIEWERS & set(p.roles(user)):
        rows = []
    waiting = [r for r in rows if r["status"] == "submitted"]
    returned = [r for r in rows if r["status"] == "returned"]
    return p.render(request, "review_queue.html", waiting=waiting, returned=returned)


def _review_reasons(p: Any, user: str, project_id: str) -> list[str]:
    """Why `user` may not decide this application now (empty when they may)."""
    with session_scope(p.settings) as session:
        project = projects.get_project(session, project_id)
        document = projects.policy_input(session, user, project, text="?")
        return list(policy.decide(p.settings, "project.ask", document).reasons)


def _extract(p: Any, project_id: str) -> dict[str, Any] | None:
    from tre.extract.transparency import latest_builds
    from tre.workspace.access import current_extract

    with session_scope(p.settings) as session:
        build = latest_builds(session).get(project_id)
        if build is None:
            return None
        found = current_extract(p.settings, project_id)
        size = sum(f.stat().st_size for f in found.rglob("*") if f.is_file()) if found else None
        return {
            "built_at": build.built_at,
            "optouts_as_of": build.optouts_as_of,
            "persons": build.persons,
            "snapshots": list(build.snapshots),
            "size": size,
            "present": found is not None,
        }


def terms_defaults(r: dict[str, Any]) -> dict[str, Any]:
    start = max(r["period"]["start"], datetime.now(UTC).date())
    return {
        "grant": [f"{d}::{c}" for d, cols in r["datasets"].items() for c in cols],
        "valid_from": start.isoformat(),
        "valid_to": r["period"]["end"].isoformat(),
        "tier": r["tier"],
        "cohort_filter": "",
        "reasons": "",
    }


def application_page(
    request: Request,
    project_id: str,
    answer: tuple[dict[str, Any], dict[str, str], list[str]] | None = None,
    decision: tuple[str, dict[str, Any], dict[str, str], list[str]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    p = portal(request)
    user = p.user(request, required=True)
    r = projects.show(p.settings, user, project_id)
    roles = set(p.roles(user))
    role = next((m["role"] for m in r["members"] if m["username"] == user), None)
    ctx: dict[str, Any] = {"r": r, "role": role, "staff": bool(REVIEWERS & roles)}
    if r["status"] == "returned" and role == "lead":
        values, errors, general = answer or (
            forms.application_fields(
                projects.current_application(p.settings, user, project_id).document()
            ),
            {},
            [],
        )
        ctx |= {"values": values, "errors": errors, "general": general, **options(p, request)}
    if ctx["staff"] and r["status"] == "submitted":
        ctx["review_reasons"] = _review_reasons(p, user, project_id)
        which, values, errors, general = decision or ("", terms_defaults(r), {}, [])
        ctx |= {
            "decision": which,
            "terms": values,
            "terms_errors": errors,
            "terms_general": general,
        }
    if r["status"] in ("approved", "revoked"):
        ctx["extract"] = _extract(p, project_id)
    return p.render(request, "application.html", status=status, **ctx)


@router.get("/applications/{project_id}", response_class=HTMLResponse)
def show(request: Request, project_id: str) -> HTMLResponse:
    return application_page(request, project_id)


async def _form(request: Request) -> tuple[Any, str, Any]:
    p = portal(request)
    user = p.user(request, required=True)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))
    return p, str(user), form


def _back(p: Any, project_id: str) -> RedirectResponse:
    return RedirectResponse(p.url(f"/applications/{project_id}"), status_code=303)


@router.post("/applications/{project_id}/ask")
async def ask(request: Request, project_id: str) -> Response:
    p, user, form = await _form(request)
    question = str(form.get("question", ""))
    try:
        if not question.strip():
            raise InputError(_("Write the questions for the applicant."))
        projects.ask(p.settings, user, project_id, question)
    except UserError as exc:
        values = {
            **terms_defaults(projects.show(p.settings, user, project_id)),
            "question": question,
        }
        errors = {"question": exc.message} if isinstance(exc, InputError) else {}
        general = [] if errors else forms.problems(exc, i18n.negotiate(request))[1]
        return application_page(
            request, project_id, decision=("ask", values, errors, general), status=400
        )
    return _back(p, project_id)


@router.post("/applications/{project_id}/reject")
async def reject(request: Request, project_id: str) -> Response:
    p, user, form = await _form(request)
    reasons = str(form.get("reject_reasons", ""))
    try:
        if not reasons.strip():
            raise InputError(
                _("Give the reasons: they go to the applicant and the public register.")
            )
        projects.reject(p.settings, user, project_id, reasons)
    except UserError as exc:
        values = {
            **terms_defaults(projects.show(p.settings, user, project_id)),
            "reject_reasons": reasons,
        }
        errors = {"reject_reasons": exc.message} if isinstance(exc, InputError) else {}
        general = [] if errors else forms.problems(exc, i18n.negotiate(request))[1]
        return application_page(
            request, project_id, decision=("reject", values, errors, general), status=400
        )
    return _back(p, project_id)


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = _("Give a date as YYYY-MM-DD.")
        return None


@router.post("/applications/{project_id}/approve")
async def approve(request: Request, project_id: str) -> Response:
    """Approve with the permit's terms: granted columns, dates, tier, cohort filter."""
    p, user, form = await _form(request)
    values: dict[str, Any] = {
        "grant": [str(v) for v in form.getlist("grant")],
        **{
            k: str(form.get(k, ""))
            for k in ("valid_from", "valid_to", "tier", "cohort_filter", "reasons")
        },
    }
    errors: dict[str, str] = {}
    start = _day(values["valid_from"], "valid_from", errors)
    end = _day(values["valid_to"], "valid_to", errors)
    grant = forms.checked_columns(values["grant"])
    if not grant:
        errors["grant"] = _("Grant at least one column.")
    general: list[str] = []
    if not errors:
        try:
            cohort = None
            if values["cohort_filter"].strip():
                from tre.extract.service import checked_cohort_filter

                try:
                    cohort = (
                        checked_cohort_filter(p.settings, grant, values["cohort_filter"]) or None
                    )
                except UserError as exc:
                    errors["cohort_filter"] = exc.message
                    raise
            projects.approve(
                p.settings,
                user,
                project_id,
                end,
                values["reasons"].strip(),
                start,
                cohort_filter=cohort,
                grant=grant,
                tier=values["tier"] or None,
            )
            return _back(p, project_id)
        except UserError as exc:
            if "cohort_filter" not in errors:
                general = forms.problems(exc, i18n.negotiate(request))[1]
    return application_page(
        request, project_id, decision=("approve", values, errors, general), status=400
    )
