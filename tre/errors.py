"""Error hierarchy.

`TreError` is any failure the TRE understands. `UserError` and its subclasses carry a
message written for people (what happened, why, what to do next) and an exit code; the
command line prints `Name: message` and exits with that code, never a traceback.
Messages must never contain record values (names, identifiers, cell contents).
"""

from __future__ import annotations

from tre.i18n import _, translate_reason


class TreError(Exception):
    """Base class for errors raised deliberately by the TRE."""


class UserError(TreError):
    """A problem the person running the command can fix; `hint` says how."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class ConfigError(UserError):
    """A setting is missing or invalid."""

    exit_code = 2


class NotFound(UserError):
    """The thing asked for does not exist."""

    exit_code = 4


class PolicyDenied(UserError):
    """The policy engine refused an action; `reasons` are the policy's deny messages."""

    exit_code = 3

    def __init__(self, action: str, reasons: list[str]) -> None:
        # `reasons` stay as the policy wrote them (English, for machines); the message is
        # in the reader's language.
        self.action = action
        self.reasons = list(reasons) or ["no policy rule allows this action"]
        shown = "; ".join(translate_reason(r) for r in self.reasons)
        super().__init__(
            _("Not allowed to {action}: {reasons}").format(action=action, reasons=shown)
        )


class InvalidTransition(UserError):
    """A state change that the state table does not permit."""

    exit_code = 5


class InputError(UserError):
    """Input data (a file, a spec, a record) is malformed; the message names file and line."""

    exit_code = 6
