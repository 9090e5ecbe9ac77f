"""NativeAuthenticator with the TOTP second factor required, not merely offered."""

from __future__ import annotations

from typing import Any

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler
from traitlets import Bool


class _NoStats:
    """Stands in for the statsd client JupyterHub 6 no longer gives its handlers."""

    def timer(self, name: str) -> _NoStats:
        return self

    def start(self) -> _NoStats:
        return self

    def stop(self, send: bool = True) -> None:
        return None


class TreLoginHandler(LoginHandler):
    """NativeAuthenticator 1.3's login, which times itself with `self.statsd` (gone in
    JupyterHub 6: every login failed with an AttributeError)."""

    statsd = _NoStats()


class TreNativeAuthenticator(NativeAuthenticator):
    """Every account made through sign-up gets a TOTP secret and must give a code at login.

    Sign-ups wait for an admin's approval (`open_signup = False`, set by tre.workspace.hub).
    """

    require_2fa = Bool(True, config=True, help="Require a TOTP code for every account.")

    def check_allowed(self, username: str, authentication: Any = None) -> Any:
        """An account an admin approved may sign in (with `allow_all = False`, JupyterHub 5+
        would otherwise admit only `allowed_users` and admins)."""
        info = self.get_user(username)
        if info is not None and info.is_authorized:
            return True
        return super().check_allowed(username, authentication)

    def get_user(self, username: str) -> Any:
        """The account as stored now: an admin may have reset its second factor from the portal
        (another process) since the hub last read it."""
        from nativeauthenticator.orm import UserInfo

        return (
            self.db.query(UserInfo)
            .filter(UserInfo.username == self.normalize_username(username))
            .populate_existing()
            .first()
        )

    def get_handlers(self, app: Any) -> list[tuple[str, Any]]:
        handlers: list[tuple[str, Any]] = super().get_handlers(app)
        return [(url, TreLoginHandler if h is LoginHandler else h) for url, h in handlers]

    def create_user(self, username: str, password: str, **kwargs: Any) -> Any:
        if self.require_2fa:
            kwargs["has_2fa"] = True
        return super().create_user(username, password, **kwargs)
