"""Who is signed in to the portal.

Normally the portal runs as a JupyterHub managed service and signs people in with the
hub's OAuth (`jupyterhub.services.auth.HubOAuth`): the hub is the only identity provider.
For tests and local development only, the setting `portal_test_login_insecure` enables a
page that signs anyone in by name (a signed cookie, a red banner on every page). It is off
by default and must never be enabled in a deployment.

Forms carry a CSRF token bound to the person (HMAC with a per-process key); cookies are
HttpOnly and SameSite=Lax.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request

from tre.errors import UserError
from tre.i18n import _

TEST_COOKIE = "tre_test_user"


class LoginRequired(Exception):
    """Raised by `current_user(required=True)`; the app redirects to the login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfFailed(UserError):
    exit_code = 1


@dataclass
class Auth:
    prefix: str
    test_login: bool
    key: bytes
    hub: Any = None  # HubOAuth when running under JupyterHub

    @classmethod
    def create(cls, prefix: str, test_login: bool) -> Auth:
        hub = None
        if os.environ.get("JUPYTERHUB_API_TOKEN"):
            from jupyterhub.services.auth import HubOAuth

            hub = HubOAuth(api_token=os.environ["JUPYTERHUB_API_TOKEN"], cache_max_age=60)
        return cls(prefix=prefix, test_login=test_login, key=secrets.token_bytes(32), hub=hub)

    # --- identity ---------------------------------------------------------------------------
    def sign(self, value: str) -> str:
        """This portal's signature of `value` (a form token bound to it)."""
        return self._sign(value)

    def _sign(self, value: str) -> str:
        return hmac.new(self.key, value.encode(), hashlib.sha256).hexdigest()

    def test_cookie(self, username: str) -> str:
        return f"{username}:{self._sign('login:' + username)}"

    def user(self, request: Request) -> str | None:
        if self.hub is not None:
            token = request.cookies.get(self.hub.cookie_name)
            if token:
                model = self.hub.user_for_token(token, use_cache=True)
                if model and model.get("name"):
                    return str(model["name"])
        if self.test_login:
            raw = request.cookies.get(TEST_COOKIE, "")
            name, _, sig = raw.partition(":")
            if name and hmac.compare_digest(sig, self._sign("login:" + name)):
                return name
        return None

    def login_url(self, next_url: str) -> str:
        if self.test_login:
            return f"{self.prefix}/test-login?next={quote(next_url)}"
        return f"{self.prefix}/login?next={quote(next_url)}"

    # --- CSRF --------------------------------------------------------------------------------
    def csrf_token(self, username: str | None) -> str:
        return self._sign("csrf:" + (username or ""))

    def check_csrf(self, username: str | None, token: str | None) -> None:
        self.check_signed("csrf:" + (username or ""), token)

    def check_signed(self, value: str, token: str | None) -> None:
        """Refuse a form whose token is not this portal's signature of `value`."""
        if not token or not hmac.compare_digest(token, self._sign(value)):
            raise CsrfFailed(
                _("The form has expired or did not come from this portal."),
                hint=_("Reload the page and try again."),
            )
