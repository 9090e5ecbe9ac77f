"""Sign-in accounts at the hub (NativeAuthenticator): their state, and resetting a second factor.

The TRE's own user table holds roles; the hub's `users_info` table (NativeAuthenticator) holds
each person's password hash, whether an admin authorised the sign-up, and the TOTP secret of
their second factor. `reset_second_factor` gives an account a new TOTP secret (the old one
stops working at once: `TreNativeAuthenticator.get_user` re-reads the row at every sign-in) and
returns it once, for the admin to hand to the person out of band; it is asked of the policy
(`user.reset_2fa`) and audited, and the secret is never stored anywhere else or logged.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy import text as sql

from tre import audit, policy
from tre.config import Settings
from tre.db import session_scope
from tre.errors import NotFound
from tre.i18n import _
from tre.users import actor_document
from tre.workspace.hub import hub_dir


def hub_database(settings: Settings) -> Path:
    return hub_dir(settings) / "jupyterhub.sqlite"


def _engine(settings: Settings) -> Any:
    return create_engine(f"sqlite:///{hub_database(settings)}")


def _has_accounts(settings: Settings) -> bool:
    if not hub_database(settings).exists():
        return False
    engine = _engine(settings)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                sql("SELECT name FROM sqlite_master WHERE type='table' AND name='users_info'")
            ).first()
            return found is not None
    finally:
        engine.dispose()


def account_states(settings: Settings) -> dict[str, dict[str, bool]] | None:
    """{username: {authorised, second_factor}} of the hub's sign-up accounts, or None when
    this TRE's hub keeps none (another authenticator, or no hub yet)."""
    if not _has_accounts(settings):
        return None
    engine = _engine(settings)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sql("SELECT username, is_authorized, has_2fa FROM users_info")
            ).all()
    finally:
        engine.dispose()
    return {
        name: {"authorised": bool(authorised), "second_factor": bool(two)}
        for name, authorised, two in rows
    }


def new_totp_secret() -> str:
    """As NativeAuthenticator makes them: 10 random bytes, base32 (16 characters)."""
    return base64.b32encode(os.urandom(10)).decode("ascii")


def totp_uri(username: str, secret: str) -> str:
    return f"otpauth://totp/TRE:{username}?secret={secret}&issuer=TRE"


def reset_second_factor(settings: Settings, actor: str, username: str) -> dict[str, str]:
    """Give `username`'s hub account a new TOTP secret; return it (shown once)."""
    with session_scope(settings) as session:
        document = {"actor": actor_document(session, actor), "target": {"username": username}}
        policy.require(settings, "user.reset_2fa", document)
        secret = new_totp_secret()
        if not _has_accounts(settings):
            raise NotFound(_("This TRE's hub keeps no sign-in accounts of its own."))
        engine = _engine(settings)
        try:
            with engine.begin() as conn:
                changed = conn.execute(
                    sql("UPDATE users_info SET otp_secret = :s, has_2fa = 1 WHERE username = :u"),
                    {"s": secret, "u": username},
                ).rowcount
        finally:
            engine.dispose()
        if not changed:
            raise NotFound(
                _("{user} has not signed up at the hub yet.").format(user=username),
                hint=_("They sign up at the hub's sign-up page; an admin then authorises them."),
            )
        audit.record(
            session, actor=actor, action="user.reset_2fa", object_type="user", object_id=username
        )
    return {"username": username, "secret": secret, "uri": totp_uri(username, secret)}
