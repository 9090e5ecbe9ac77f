"""A researcher's notices: the permit granted, the data ready, a release request moved."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tre.notices import collect

router = APIRouter()


def portal(request: Request) -> Any:
    return request.app.state.portal


@router.get("/notices", response_class=HTMLResponse)
def notices(request: Request) -> HTMLResponse:
    p = portal(request)
    user = p.user(request, required=True)
    return p.render(request, "notices.html", notices=collect.for_user(p.settings, user))


@router.post("/notices/read")
def mark_read(request: Request, csrf: str = Form("")) -> Response:
    p = portal(request)
    user = p.user(request, required=True)
    p.auth.check_csrf(user, csrf)
    collect.mark_read(p.settings, user)
    return RedirectResponse(p.url("/notices"), status_code=303)
