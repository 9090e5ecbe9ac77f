"""NativeAuthenticator with the TOTP second factor required, not merely offered."""

from __future__ import annotations

from typing import Any

from nativeauthenticator import NativeAuthenticator
from traitlets import Bool


class TreNativeAuthenticator(NativeAuthenticator):
    """Every account made through sign-up gets a TOTP secret and must give a code at login.

    Sign-ups wait for an admin's approval (`open_signup = False`, set by tre.workspace.hub).
    """

    require_2fa = Bool(True, config=True, help="Require a TOTP code for every account.")

    def create_user(self, username: str, password: str, **kwargs: Any) -> Any:
        if self.require_2fa:
            kwargs["has_2fa"] = True
        return super().create_user(username, password, **kwargs)
