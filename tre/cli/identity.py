"""Who the command line acts as, and is audited as.

Never a free choice. The actor is either
- the operating-system account running `tre` (its effective uid, looked up in the account
  database: never $USER or $LOGNAME, which anyone can set), mapped to TRE accounts by the
  setting `cli_accounts` (`"os_account:tre_account"` pairs, read from tre.toml only); or
- when TRE_HUB_TOKEN holds an API token the hub issued, the hub user it belongs to, as the
  hub's own API answers (`GET /hub/api/user`): a forged, revoked or expired token is refused.
TRE_USER may only narrow the choice to one of the accounts so allowed; it is needed only when
one operating-system account is mapped to several. Every refusal is written to the audit log
(the operating-system account, what was asked for and why; never the token).

This binds whoever runs `tre` against the control database. It cannot bind someone who can
write that database directly: tre.toml and the database stay writable by the operators only.
"""

from __future__ import annotations

import os
import pwd

import httpx
from sqlalchemy.exc import SQLAlchemyError

from tre import audit
from tre.config import Settings, load_settings
from tre.errors import UserError
from tre.i18n import _

TOKEN_ENV = "TRE_HUB_TOKEN"  # noqa: S105 - the variable's name, not a secret
NARROW_ENV = "TRE_USER"


class IdentityRefused(UserError):
    """The command line could not establish who is acting; `code` names why."""

    exit_code = 3

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


def os_account() -> tuple[str, int]:
    """The name and uid of the account the process runs as (effective uid)."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name, uid
    except KeyError:  # a uid with no account entry (containers): known by its number
        return str(uid), uid


def mapped_accounts(settings: Settings, account: str) -> list[str]:
    """The TRE accounts `cli_accounts` lets the operating-system `account` act as."""
    found = []
    for pair in settings.cli_accounts:
        os_name, _sep, tre_name = pair.partition(":")
        if os_name == account and tre_name not in found:
            found.append(tre_name)
    return found


def current_actor(settings: Settings | None = None) -> str:
    """The TRE account this command acts as, or IdentityRefused (audited)."""
    settings = settings or load_settings()
    account, uid = os_account()
    asked = os.environ.get(NARROW_ENV) or None
    token = os.environ.get(TOKEN_ENV) or None
    try:
        if token:
            return _by_token(settings, token, asked)
        return _by_mapping(settings, account, asked)
    except IdentityRefused as exc:
        _audit_refusal(settings, account, uid, asked, "token" if token else "os_account", exc)
        raise


def _by_mapping(settings: Settings, account: str, asked: str | None) -> str:
    allowed = mapped_accounts(settings, account)
    if not allowed:
        raise IdentityRefused(
            "unmapped",
            _("The operating-system account '{account}' may not use the TRE command line.").format(
                account=account
            ),
            _(
                "An administrator maps it to a TRE account in tre.toml, e.g. cli_accounts = "
                '["{account}:NAME"], or give an API token from the hub in {env}.'
            ).format(account=account, env=TOKEN_ENV),
        )
    if asked is None:
        if len(allowed) == 1:
            return allowed[0]
        raise IdentityRefused(
            "ambiguous",
            _("The operating-system account '{account}' may act as several TRE accounts.").format(
                account=account
            ),
            _("Set {env} to one of: {names}.").format(env=NARROW_ENV, names=", ".join(allowed)),
        )
    if asked not in allowed:
        raise IdentityRefused(
            "not_mapped",
            _(
                "{env}={asked} is refused: the operating-system account '{account}' may not "
                "act as that TRE account."
            ).format(env=NARROW_ENV, asked=asked, account=account),
            _("It may act as: {names}.").format(names=", ".join(allowed)),
        )
    return asked


def _by_token(settings: Settings, token: str, asked: str | None) -> str:
    name = hub_token_user(settings, token)
    if asked is not None and asked != name:
        raise IdentityRefused(
            "token_mismatch",
            _("{env}={asked} is refused: the API token in {token_env} belongs to '{name}'.").format(
                env=NARROW_ENV, asked=asked, token_env=TOKEN_ENV, name=name
            ),
            _("Unset {env}, or use that person's own token.").format(env=NARROW_ENV),
        )
    return name


def hub_token_user(settings: Settings, token: str) -> str:
    """The hub user an API token belongs to, as the hub's API says; else IdentityRefused."""
    from tre.workspace.hub import hub_api_url

    url = hub_api_url(settings)
    if url is None:
        raise IdentityRefused(
            "no_hub",
            _("An API token was given in {env}, but no hub is configured here to check it.").format(
                env=TOKEN_ENV
            ),
            _("Start the TRE (`tre up`) or unset {env}.").format(env=TOKEN_ENV),
        )
    try:
        reply = httpx.get(f"{url}/user", headers={"Authorization": f"token {token}"}, timeout=15)
    except httpx.HTTPError:
        raise IdentityRefused(
            "hub_unreachable",
            _("The hub does not answer, so the API token in {env} cannot be checked.").format(
                env=TOKEN_ENV
            ),
            _("Try again when the TRE is running."),
        ) from None
    if reply.status_code in (401, 403):
        raise IdentityRefused(
            "token_refused",
            _(
                "The hub does not accept the API token in {env}: unknown, revoked or expired."
            ).format(env=TOKEN_ENV),
            _("Make a new token on the hub's token page and try again."),
        )
    try:
        model = reply.json() if reply.status_code == 200 else {}
    except ValueError:
        model = {}
    if not isinstance(model, dict):
        model = {}
    name = model.get("name")
    if model.get("kind") != "user" or not isinstance(name, str) or not name:
        raise IdentityRefused(
            "token_not_a_person",
            _("The API token in {env} does not belong to a person.").format(env=TOKEN_ENV),
            _("Use a token made by a signed-in person on the hub's token page."),
        )
    return name


def _audit_refusal(
    settings: Settings, account: str, uid: int, asked: str | None, via: str, exc: IdentityRefused
) -> None:
    from tre.db import session_scope

    try:
        with session_scope(settings) as session:
            audit.record(
                session,
                actor=f"os:{account}",
                action="cli.identity_refused",
                object_type="os_account",
                object_id=account,
                body={
                    "uid": uid,
                    "via": via,
                    "asked_for": asked and asked[:64],
                    "reason": exc.code,
                },
            )
    except SQLAlchemyError:  # no control database here (yet): nothing to act on either
        pass
