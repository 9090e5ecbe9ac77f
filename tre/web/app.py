"""The portal: FastAPI, server-rendered HTML (Jinja), no JavaScript.

`create_app(settings)` builds the app; with no argument it loads settings from the
environment (as JupyterHub starts it: `uvicorn --factory tre.web.app:create_app`). Under the
hub every route lives below `JUPYTERHUB_SERVICE_PREFIX`. Every response carries a strict
Content-Security-Policy (no scripts at all), and every refusal is shown with its reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tre.config import Settings, load_settings
from tre.errors import NotFound, PolicyDenied, UserError
from tre.i18n import reset_request_language, set_request_language
from tre.patients.codes import OneTimeCodes
from tre.patients.identity import IdentityProvider
from tre.users import actor_document
from tre.web import i18n
from tre.web.auth import Auth, LoginRequired
from tre.web.jobs import Jobs
from tre.web.public_cache import PublicCache

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class Portal:
    """What every page needs: settings, sign-in, templates, URL prefix."""

    def __init__(self, settings: Settings, prefix: str) -> None:
        self.settings = settings
        self.prefix = prefix
        self.auth = Auth.create(prefix, settings.portal_test_login_insecure)
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.public = PublicCache(settings)
        self.jobs = Jobs()
        self.identity: IdentityProvider = OneTimeCodes()

    def datasets(self) -> list[Any]:
        """The lake catalogue's datasets (none while the lake is empty or not initialised)."""
        try:
            from tre.lake.catalog import load_catalog

            return list(load_catalog(self.settings).datasets)
        except Exception:  # an empty or not yet initialised lake shows an empty catalogue
            return []

    def url(self, path: str) -> str:
        return f"{self.prefix}{path}"

    def user(self, request: Request, required: bool = False) -> str | None:
        name = self.auth.user(request)
        if name is None and required:
            raise LoginRequired(str(request.url.path))
        return name

    def roles(self, username: str | None) -> list[str]:
        if not username:
            return []
        from tre.db import session_scope

        with session_scope(self.settings) as session:
            return list(actor_document(session, username)["roles"])

    def render(
        self, request: Request, template: str, status: int = 200, **ctx: Any
    ) -> HTMLResponse:
        lang = i18n.negotiate(request)
        user = self.auth.user(request)
        body = self._body(request, template, lang, user, ctx)
        return self._response(request, body, lang, status)

    def render_public(
        self, request: Request, template: str, data: Callable[[], dict[str, Any]]
    ) -> HTMLResponse:
        """A page anyone may read, from `data()` (computed once per state of the TRE).

        Readers who are not signed in all get the same bytes, so the whole page is kept for
        each language and state; a signed-in reader's page (their name, their links) is
        rendered for them from the kept data.
        """
        lang = i18n.negotiate(request)
        user = self.auth.user(request)
        ctx = self.public.get(template, data)
        if user is not None:
            return self._response(request, self._body(request, template, lang, user, ctx), lang)
        body = self.public.get(
            f"{template}|{lang}", lambda: self._body(request, template, lang, None, ctx)
        )
        return self._response(request, body, lang)

    def unread_notices(self, user: str | None) -> int:
        if not user:
            return 0
        from tre.notices.collect import unread

        return unread(self.settings, user)

    def _body(
        self, request: Request, template: str, lang: str, user: str | None, ctx: dict[str, Any]
    ) -> str:
        return self.env.get_template(template).render(
            **i18n.helpers(lang, self.settings.time_zone),
            lang=lang,
            user=user,
            roles=self.roles(user),
            unread=self.unread_notices(user),
            url=self.url,
            path=str(request.url.path),
            csrf=self.auth.csrf_token(user),
            test_login=self.auth.test_login,
            **ctx,
        )

    def _response(self, request: Request, body: str, lang: str, status: int = 200) -> HTMLResponse:
        response = HTMLResponse(body, status_code=status)
        if request.query_params.get("lang") in ("en", "ja"):
            response.set_cookie(i18n.LANG_COOKIE, lang, httponly=True, samesite="lax")
        return response


# Both middlewares are plain ASGI (not Starlette's BaseHTTPMiddleware, which runs each
# response through an extra task and stream): they sit on every request of every reader.
class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestLanguage:
    """Messages made while serving a request (errors from the services) use its language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = set_request_language(i18n.negotiate(Request(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            reset_request_language(token)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/").rstrip("/")
    portal = Portal(settings, prefix)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLanguage)
    app.mount(f"{prefix}/static", StaticFiles(directory=HERE / "static"), name="static")

    from tre.web import (
        pages_accounts,
        pages_admin,
        pages_airlock,
        pages_apply,
        pages_notices,
        pages_patients,
        pages_public,
        pages_review,
    )

    for module in (
        pages_public,
        pages_airlock,
        pages_admin,
        pages_accounts,
        pages_apply,
        pages_review,
        pages_notices,
        pages_patients,
    ):
        app.include_router(module.router, prefix=prefix)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(portal.auth.login_url(exc.next_url), status_code=303)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError) -> Response:
        status = 403 if isinstance(exc, PolicyDenied) else 404 if isinstance(exc, NotFound) else 400
        reasons = exc.reasons if isinstance(exc, PolicyDenied) else []
        return portal.render(
            request,
            "error.html",
            status=status,
            error=exc,
            reasons=reasons,
            kind=type(exc).__name__,
            # A hint naming a command (`tre ...`) is for the command line, not for a page.
            hint=None if exc.hint is None or "`tre " in exc.hint else exc.hint,
        )

    return app
