"""Accounts (admins): people and their roles and e-mail addresses, the state of their hub
sign-in, resetting a second factor; and patients' one-time codes (admins and data holders).

A new second-factor secret and a new patient code are shown once, on the page that made
them, and never stored in clear or logged.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tre import users
from tre.errors import PolicyDenied, UserError
from tre.i18n import _
from tre.web import forms, i18n
from tre.web.pages_admin import require_admin

router = APIRouter()
ROLES = ("admin", "approver", "output_checker", "analyst", "data_holder")


def _accounts_page(
    request: Request, status: int = 200, values: dict[str, Any] | None = None, **ctx: Any
) -> HTMLResponse:
    from tre.workspace.accounts import account_states

    p, user = require_admin(request)
    people = users.list_users(p.settings, user)
    return p.render(
        request,
        "accounts.html",
        status=status,
        people=people,
        all_roles=ROLES,
        hub=account_states(p.settings),
        values=values or {"roles": []},
        errors=ctx.pop("errors", {}),
        general=ctx.pop("general", []),
        **ctx,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def accounts(request: Request) -> HTMLResponse:
    return _accounts_page(request)


@router.post("/admin/users")
async def save_account(request: Request) -> Response:
    """Add a person, or change their roles, name or e-mail address."""
    p, user = require_admin(request)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))
    values: dict[str, Any] = {
        "username": str(form.get("username", "")).strip(),
        "display_name": str(form.get("display_name", "")).strip(),
        "email": str(form.get("email", "")).strip(),
        "roles": [str(r) for r in form.getlist("roles")],
    }
    errors: dict[str, str] = {}
    try:
        users.check_username(values["username"])
    except UserError as exc:
        errors["username"] = exc.message
    try:
        users.check_email(values["email"])
    except UserError as exc:
        errors["email"] = exc.message
    if not values["roles"]:
        errors["roles"] = _("Choose at least one role.")
    if errors:
        return _accounts_page(request, 400, values, errors=errors)
    try:
        users.add_user(
            p.settings,
            user,
            values["username"],
            values["roles"],
            values["display_name"],
            values["email"],
        )
    except UserError as exc:
        general = forms.problems(exc, i18n.negotiate(request))[1]
        return _accounts_page(request, 400, values, general=general)
    return _accounts_page(request, saved=values["username"])


@router.post("/admin/users/{username}/reset-2fa")
async def reset_second_factor(request: Request, username: str) -> Response:
    from tre.workspace.accounts import reset_second_factor as reset

    p, user = require_admin(request)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))
    try:
        secret = reset(p.settings, user, username)
    except UserError as exc:
        general = forms.problems(exc, i18n.negotiate(request))[1]
        return _accounts_page(request, 400, general=general)
    response = _accounts_page(request, new_secret=secret)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- patients' one-time codes --------------------------------------------------------------
def _code_page(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
    from tre.lake.snapshots import latest_by_source

    p = request.app.state.portal
    user = p.user(request, required=True)
    if not {"admin", "data_holder"} & set(p.roles(user)):
        raise PolicyDenied(
            "patient.code.issue",
            ["only an admin or a data holder may issue a patient's one-time code"],
        )
    sources = sorted(latest_by_source(p.settings))
    response = p.render(request, "patient_codes.html", status=status, sources=sources, **ctx)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/patient-codes", response_class=HTMLResponse)
def codes(request: Request) -> HTMLResponse:
    return _code_page(request, values={}, errors={})


@router.post("/admin/patient-codes")
async def issue(request: Request) -> Response:
    from tre.lake.snapshots import latest_by_source
    from tre.patients.codes import issue_code

    p = request.app.state.portal
    user = p.user(request, required=True)
    form = await request.form()
    p.auth.check_csrf(user, str(form.get("csrf", "")))
    source = str(form.get("source", ""))
    identifier = str(form.get("identifier", ""))
    errors: dict[str, str] = {}
    if source not in latest_by_source(p.settings):
        errors["source"] = _("Choose the source that knows the person.")
    if not identifier.strip():
        errors["identifier"] = _("Give the person's id in that source.")
    # The identifier is never shown back (the data holder types it again) nor kept.
    if errors:
        return _code_page(request, 400, values={"source": source}, errors=errors)
    try:
        issued = issue_code(p.settings, user, source, identifier)
    except PolicyDenied:
        raise
    except UserError as exc:
        general = forms.problems(exc, i18n.negotiate(request))[1]
        return _code_page(request, 400, values={"source": source}, errors={}, general=general)
    return _code_page(request, values={"source": source}, errors={}, issued=issued)
