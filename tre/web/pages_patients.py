"""The patients' page: prove who you are with a one-time code, see which projects used your
records, record or withdraw an opt-out.

Before a code is accepted the page shows nothing but the form, and a refused code gets the
same answer whatever the reason, so the page reveals nothing about anyone (not even whether a
person is in the lake). Attempts are limited and audited by the identity provider. After a
code, a short session (an HttpOnly, SameSite=Strict cookie scoped to these pages; the token
stored only as a keyed hash) shows the person their own use and opt-out; nothing is cached.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tre.patients import service
from tre.patients.codes import close_session, open_session, session_person
from tre.patients.identity import IdentityRefused, RateLimited, VerifiedPerson

router = APIRouter()
COOKIE = "tre_patient"


def portal(request: Request) -> Any:
    return request.app.state.portal


def client_address(request: Request) -> str:
    """The client's address: behind the hub's proxy (on loopback), the last hop it added to
    X-Forwarded-For; a client cannot choose it by sending the header itself."""
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-for", "")
    if peer in ("127.0.0.1", "::1") and forwarded:
        return forwarded.split(",")[-1].strip()
    return peer


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _person(request: Request) -> tuple[str, VerifiedPerson | None]:
    p = portal(request)
    token = request.cookies.get(COOKIE, "")
    return token, session_person(p.settings, token)


def _page(request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
    return _private(portal(request).render(request, template, status=status, **ctx))


@router.get("/patients", response_class=HTMLResponse)
def start(request: Request) -> Response:
    p = portal(request)
    if _person(request)[1] is not None:
        return _private(RedirectResponse(p.url("/patients/me"), status_code=303))
    return _page(request, "patients.html", error="", code_csrf=p.auth.csrf_token(None))


@router.post("/patients/signin")
def sign_in(request: Request, code: str = Form(""), csrf: str = Form("")) -> Response:
    p = portal(request)
    p.auth.check_csrf(None, csrf)
    try:
        person = p.identity.verify(p.settings, {"code": code}, client_address(request))
    except RateLimited as exc:
        return _page(
            request,
            "patients.html",
            status=429,
            error=exc.message,
            retry_at=exc.retry_at,
            code_csrf=p.auth.csrf_token(None),
        )
    except IdentityRefused as exc:
        return _page(
            request,
            "patients.html",
            status=400,
            error=exc.message,
            hint=exc.hint,
            code_csrf=p.auth.csrf_token(None),
        )
    token, _expires = open_session(p.settings, person)
    response = RedirectResponse(p.url("/patients/me"), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        path=p.url("/patients"),
        max_age=p.settings.patient_session_minutes * 60,
    )
    return _private(response)


def _csrf(request: Request, token: str) -> str:
    return str(portal(request).auth.sign("patient:" + token))


def _signed_in(request: Request, csrf: str | None = None) -> tuple[str, VerifiedPerson] | Response:
    p = portal(request)
    token, person = _person(request)
    if person is None:
        return _private(RedirectResponse(p.url("/patients"), status_code=303))
    if csrf is not None:
        p.auth.check_signed("patient:" + token, csrf)
    return token, person


@router.get("/patients/me", response_class=HTMLResponse)
def me(request: Request) -> Response:
    found = _signed_in(request)
    if isinstance(found, Response):
        return found
    token, person = found
    data = service.overview(portal(request).settings, person)
    return _page(request, "patient_me.html", me=data, patient_csrf=_csrf(request, token))


@router.post("/patients/optout")
def opt_out(request: Request, csrf: str = Form("")) -> Response:
    found = _signed_in(request, csrf)
    if isinstance(found, Response):
        return found
    service.opt_out(portal(request).settings, found[1])
    return _private(RedirectResponse(portal(request).url("/patients/me"), status_code=303))


@router.post("/patients/optout/withdraw")
def withdraw(request: Request, csrf: str = Form("")) -> Response:
    found = _signed_in(request, csrf)
    if isinstance(found, Response):
        return found
    service.withdraw(portal(request).settings, found[1])
    return _private(RedirectResponse(portal(request).url("/patients/me"), status_code=303))


@router.post("/patients/signout")
def sign_out(request: Request, csrf: str = Form("")) -> Response:
    p = portal(request)
    found = _signed_in(request, csrf)
    if not isinstance(found, Response):
        close_session(p.settings, found[0])
    response = RedirectResponse(p.url("/patients"), status_code=303)
    response.delete_cookie(COOKIE, path=p.url("/patients"))
    return _private(response)
