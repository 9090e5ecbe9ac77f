"""Applying for data: the form driven by the catalogue, drafts, the application's page (its
state, the review body's questions, the answer), and the application as a YAML file.

The form is the application schema (`tre.application`); submitting goes through the same
service as `tre project apply FILE.yaml` (`tre.projects.submit_application`). A submission
with problems changes nothing: the page comes back with each problem next to its field and
everything as typed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tre import application_drafts, projects
from tre.application import ApplicationInvalid, to_yaml, validate_application
from tre.db import LawfulBasis, Purpose
from tre.errors import UserError
from tre.i18n import _
from tre.web import forms, i18n

router = APIRouter()


def portal(request: Request) -> Any:
    return request.app.state.portal


def options(p: Any, request: Request) -> dict[str, Any]:
    """The choices the application form offers, labelled in the page's language."""
    helpers = i18n.helpers(i18n.negotiate(request))
    label = helpers["label"]
    return {
        "purposes": [(x.value, label("purpose", x.value)) for x in Purpose],
        "lawful_bases": [(x.value, label("lawful_basis", x.value)) for x in LawfulBasis],
        "datasets": p.datasets(),
    }


def form_page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    status: int = 200,
    **ctx: Any,
) -> HTMLResponse:
    p = portal(request)
    return p.render(
        request,
        "apply.html",
        status=status,
        values=values,
        errors=errors or {},
        general=general or [],
        **options(p, request),
        **ctx,
    )


@router.get("/applications", response_class=HTMLResponse)
def mine(request: Request) -> HTMLResponse:
    p = portal(request)
    user = p.user(request, required=True)
    own = [
        row
        for row in projects.list_projects(p.settings, user)
        if any(m["username"] == user for m in projects.show(p.settings, user, row["id"])["members"])
    ]
    drafts = application_drafts.list_drafts(p.settings, user)
    return p.render(request, "applications.html", projects=own, drafts=drafts)


@router.get("/applications/new", response_class=HTMLResponse)
def new(request: Request) -> HTMLResponse:
    portal(request).user(request, required=True)
    return form_page(request, {"tier": "standard", "columns": []})


@router.get("/applications/drafts/{draft_id}", response_class=HTMLResponse)
def draft(request: Request, draft_id: str, saved: str = "") -> HTMLResponse:
    p = portal(request)
    user = p.user(request, required=True)
    found = application_drafts.get_draft(p.settings, user, draft_id)
    return form_page(request, found["form"], draft=draft_id, saved=bool(saved))


@router.post("/applications/new")
async def submit(request: Request) -> Response:
    p = portal(request)
    user = p.user(request, required=True)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))
    raw = forms.typed(form)
    draft_id = str(form.get("draft", "")) or None
    if form.get("action") == "save":
        saved = application_drafts.save_draft(p.settings, user, raw, draft_id)
        return RedirectResponse(p.url(f"/applications/drafts/{saved}?saved=1"), status_code=303)
    try:
        application = validate_application(forms.application_input(raw))
        created = projects.submit_application(p.settings, user, application)
    except UserError as exc:
        errors, general = forms.problems(exc, i18n.negotiate(request))
        return form_page(request, raw, errors, general, status=400, draft=draft_id)
    if draft_id:
        application_drafts.delete_draft(p.settings, user, draft_id)
    return RedirectResponse(p.url(f"/applications/{created['id']}"), status_code=303)


@router.post("/applications/drafts/{draft_id}/delete")
async def delete(request: Request, draft_id: str) -> Response:
    p = portal(request)
    user = p.user(request, required=True)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))
    application_drafts.delete_draft(p.settings, user, draft_id)
    return RedirectResponse(p.url("/applications"), status_code=303)


@router.get("/applications/{project_id}/application.yaml")
def as_yaml(request: Request, project_id: str) -> Response:
    """The application as `tre project apply` reads it."""
    p = portal(request)
    user = p.user(request, required=True)
    text = to_yaml(projects.current_application(p.settings, user, project_id))
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{project_id}-application.yaml"'},
    )


@router.post("/applications/{project_id}/resubmit")
async def resubmit(request: Request, project_id: str) -> Response:
    """The lead answers the review body's questions with the application as it now stands."""
    from tre.web.pages_review import application_page

    p = portal(request)
    user = p.user(request, required=True)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))
    raw = forms.typed(form) | {"answer": str(form.get("answer", ""))}
    try:
        application = validate_application(forms.application_input(raw))
        if not raw["answer"].strip():
            raise ApplicationInvalid([("answer", _("Write your answer to the questions."))])
        projects.resubmit(p.settings, user, project_id, application, raw["answer"])
    except UserError as exc:
        errors, general = forms.problems(exc, i18n.negotiate(request))
        return application_page(request, project_id, answer=(raw, errors, general), status=400)
    return RedirectResponse(p.url(f"/applications/{project_id}"), status_code=303)
