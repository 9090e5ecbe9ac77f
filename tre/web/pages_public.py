"""Pages without sign-in (home, public register, data catalogue) and the sign-in routes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from tre.airlock import views
from tre.checkpoint import public as checkpoints
from tre.errors import InputError
from tre.extract.transparency import public_register
from tre.i18n import _
from tre.users import check_username
from tre.web.auth import TEST_COOKIE

router = APIRouter()


def portal(request: Request) -> Any:
    return request.app.state.portal


def _safe_next(p: Any, next_url: str | None) -> str:
    """Only same-site paths under the portal (no open redirects)."""
    if next_url and next_url.startswith(p.prefix + "/") and not next_url.startswith("//"):
        return next_url
    return p.url("/")


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return portal(request).render(request, "home.html")


@router.get("/register", response_class=HTMLResponse)
def register(request: Request) -> HTMLResponse:
    p = portal(request)
    return p.render_public(
        request,
        "register.html",
        lambda: {
            "projects": public_register(p.settings),
            "releases": views.register(p.settings),
            "audit": checkpoints.view(p.settings),
        },
    )


@router.get("/register/audit-checkpoints.json")
def audit_checkpoints(request: Request) -> JSONResponse:
    """The newest signed checkpoint and the signing keys, for anyone to copy and keep."""
    shown = checkpoints.view(portal(request).settings)
    return JSONResponse(shown.to_json(), headers={"Cache-Control": "no-cache"})


@router.get("/catalogue", response_class=HTMLResponse)
def catalogue(request: Request) -> HTMLResponse:
    p = portal(request)
    return p.render_public(request, "catalogue.html", lambda: {"datasets": p.datasets()})


# --- sign-in: JupyterHub OAuth ---------------------------------------------------------------
@router.get("/login")
def login(request: Request, next: str = "") -> Response:
    p = portal(request)
    if p.auth.hub is None:
        return p.render(request, "login_unavailable.html", status=503)
    hub = p.auth.hub
    params = {}
    verifier = None
    if getattr(hub, "pkce_enabled", False):
        verifier, challenge, method = hub.generate_pkce_code_challenge()
        params = {"code_challenge": challenge, "code_challenge_method": method}
    extra = {"code_verifier": verifier} if verifier else {}
    state = hub.generate_state(next_url=_safe_next(p, next), **extra)
    params["state"] = state
    response = RedirectResponse(f"{hub.login_url}&{urlencode(params)}", status_code=303)
    response.set_cookie(p.auth.hub.state_cookie_name, state, httponly=True, samesite="lax")
    return response


@router.get("/oauth_callback")
def oauth_callback(request: Request, code: str = "", state: str = "") -> Response:
    p = portal(request)
    hub = p.auth.hub
    if hub is None or not code or state != request.cookies.get(hub.state_cookie_name):
        return p.render(request, "login_unavailable.html", status=403)
    next_url = hub.get_next_url(state)
    verifier = hub.get_code_verifier(state)
    hub.clear_oauth_state(state)
    token = hub.token_for_code(code, code_verifier=verifier)
    response = RedirectResponse(_safe_next(p, next_url), status_code=303)
    response.set_cookie(hub.cookie_name, token, httponly=True, samesite="lax")
    response.delete_cookie(hub.state_cookie_name)
    return response


# --- sign-in for tests only (setting portal_test_login_insecure) -------------------------------
@router.get("/test-login", response_class=HTMLResponse)
def test_login_form(request: Request, next: str = "") -> Response:
    p = portal(request)
    if not p.auth.test_login:
        return p.render(request, "login_unavailable.html", status=404)
    return p.render(request, "test_login.html", next=_safe_next(p, next))


@router.post("/test-login")
def test_login(request: Request, username: str = Form(...), next: str = Form("")) -> Response:
    p = portal(request)
    if not p.auth.test_login:
        return p.render(request, "login_unavailable.html", status=404)
    try:
        check_username(username)
    except InputError:
        raise InputError(_("That is not a valid username.")) from None
    response = RedirectResponse(_safe_next(p, next), status_code=303)
    response.set_cookie(TEST_COOKIE, p.auth.test_cookie(username), httponly=True, samesite="lax")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    p = portal(request)
    response = RedirectResponse(p.url("/"), status_code=303)
    response.delete_cookie(TEST_COOKIE)
    if p.auth.hub is not None:
        response.delete_cookie(p.auth.hub.cookie_name)
    return response
