"""Refusals and usage records of one request, and the messages people read."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from tre.i18n import _
from tre.workspace.gate.usage import Usage, UsageLog
from tre.workspace.transfer import human_bytes

log = logging.getLogger("tre.workspace.gate")
AUDIT_PATH_CHARS = 512


def message(status: int, message: str, reason: str) -> web.Response:
    return web.json_response({"message": message, "reason": reason}, status=status)


class Refuser:
    """Refusals and usage records of one request, with its user, project and route."""

    def __init__(self, log_: UsageLog, request: web.Request, user: str, project: str) -> None:
        self.log = log_
        self.method = request.method
        self.user = user
        self.project = project
        self.route = "unknown"

    def __call__(
        self, path: str, reason: str, text: str, status: int = 403, size: int | None = None
    ) -> web.Response:
        """Record the refusal; the answer for the browser."""
        self.record(path, reason, size)
        return message(status, text, reason)

    def record(self, path: str, reason: str, size: int | None = None) -> None:
        body: dict[str, Any] = {
            "route": self.route,
            "method": self.method,
            "path": path[:AUDIT_PATH_CHARS],
            "reason": reason,
        }
        if size is not None:
            body["bytes"] = size
        self.log.record_later(Usage("workspace.refused", self.user, self.project, body))
        log.info("refused %s %s for %s/%s: %s", self.method, self.route, self.user,
                 self.project, reason)  # fmt: skip

    def usage(self, action: str, path: str, size: int) -> Usage:
        body = {"route": self.route, "path": path[:AUDIT_PATH_CHARS], "bytes": size}
        return Usage(action, self.user, self.project, body)

    def channel_usage(self, route: str, to_browser: int, from_browser: int, closed: bool) -> Usage:
        body = {
            "route": route,
            "bytes_to_browser": to_browser,
            "bytes_from_browser": from_browser,
            "closed": closed,
        }
        return Usage("workspace.channel", self.user, self.project, body)


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def closed_message() -> str:
    return _(
        "This is not available from a TRE workspace: the browser gets notebooks and code "
        "files, not downloads, terminals or exports. Results leave through an output release "
        "request (the airlock)."
    )


def download_message() -> str:
    return _("Downloading files is disabled in this workspace. Request an output release instead.")


def request_too_large(cap: int) -> str:
    return _("This request is larger than a workspace accepts here ({limit}).").format(
        limit=human_bytes(cap)
    )


def response_too_large() -> str:
    return _("The workspace's answer is larger than the browser may be sent here.")


def unrecorded_message() -> str:
    return _("This cannot be sent now: its usage record could not be written. Try again later.")
