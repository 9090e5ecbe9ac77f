"""People and their global roles (admin, approver, output_checker, analyst, data_holder).

Every change is asked of the policy first (`user.add`) and audited in the same transaction.
While no admin exists, a person may make themselves the first admin (policy `bootstrap`).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tre import audit, policy
from tre.config import Settings
from tre.db import User, session_scope
from tre.errors import InputError
from tre.i18n import _

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
EMAIL = re.compile(r"^[^@\s<>,;:\"]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,63}$")


def actor_document(session: Session, username: str) -> dict[str, Any]:
    """The policy's view of `username`: roles, and whether they have an account."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    return {
        "username": username,
        "roles": sorted(user.roles) if user else [],
        "known": user is not None,
    }


def admin_count(session: Session) -> int:
    users = session.execute(select(User)).scalars()
    return sum(1 for user in users if "admin" in user.roles)


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise InputError(
            _("That is not a valid username."),
            hint=_("Use 1-64 lower-case letters, digits, dots, dashes or underscores."),
        )
    return username


def check_email(email: str) -> str:
    """An address for notices, or "" for none."""
    email = email.strip()
    if email and not EMAIL.match(email):
        raise InputError(
            _("That is not an e-mail address."), hint=_("Write it as name@example.org.")
        )
    return email


def add_user(
    settings: Settings,
    actor: str,
    username: str,
    roles: list[str],
    display_name: str = "",
    email: str | None = None,
) -> dict[str, Any]:
    """Create `username` or set their roles (replacing the old ones), and their e-mail
    address for notices when given. Audited (the address is not in the audit body)."""
    check_username(username)
    email = check_email(email) if email is not None else None
    roles = sorted(set(roles))
    with session_scope(settings) as session:
        policy.require(
            settings,
            "user.add",
            {
                "actor": actor_document(session, actor),
                "target": {"username": username, "roles": roles},
                "system": {"admin_count": admin_count(session)},
            },
        )
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        created = user is None
        if user is None:
            user = User(username=username, display_name=display_name, roles=roles)
            session.add(user)
        else:
            user.roles = roles
            if display_name:
                user.display_name = display_name
        if email is not None:
            user.email = email
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="user.add" if created else "user.roles",
            object_type="user",
            object_id=username,
            body={"roles": roles, "email": bool(user.email)},
        )
        return user_summary(user)


def user_summary(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "roles": user.roles,
    }


def list_users(settings: Settings, actor: str) -> list[dict[str, Any]]:
    with session_scope(settings) as session:
        policy.require(settings, "user.list", {"actor": actor_document(session, actor)})
        users = session.execute(select(User).order_by(User.username)).scalars()
        return [user_summary(user) for user in users]
