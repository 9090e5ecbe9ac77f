"""The gate's HTTP and websocket handling: allow-list, caps, meters, usage records.

Every request the hub's proxy routes to a workspace server arrives here first. The gate
finds the workspace's container (`upstream`), matches the route (`routes`), and then:

- refuses anything not in the route table, or not canonical, with a JSON message
  JupyterLab shows, and records the refusal;
- reads a request body only up to its route's cap (contents: by file kind, and checked as
  an upload) and counts it against the workspace's inbound meter;
- reads a response body only up to its route's cap; static files must be the image's own
  bytes; file content must be of an allowed kind and within its cap; everything else that
  is not a file of the image is counted against the workspace's transfer meter;
- passes only an allow-list of response headers (never Content-Disposition) and the
  standard reason phrase;
- relays websocket frames one by one, each within its cap, paced by the output meter
  (kernel) or the transfer meter (events) and the inbound meter.

Meters pace rather than drop: a workspace that has spent its burst sends at the configured
rate, so bulk transfer is slow; a large file content read or upload is audited before it
passes. Bodies are read whole, up to their caps, because each is inspected; a frame is
never held longer than it takes to send it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from urllib.parse import unquote

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from tre.i18n import _
from tre.workspace.gate import routes
from tre.workspace.gate.contents import check_read, check_upload
from tre.workspace.gate.meters import Meters, new_meters, pay
from tre.workspace.gate.refusals import (
    Refuser,
    closed_message,
    download_message,
    message,
    name_of,
    request_too_large,
    response_too_large,
    unrecorded_message,
)
from tre.workspace.gate.relay import Caps, relay
from tre.workspace.gate.routes import Handling, Route
from tre.workspace.gate.statics import ManifestError, Manifests
from tre.workspace.gate.upstream import Workspace, Workspaces
from tre.workspace.gate.usage import Usage, UsageLog
from tre.workspace.gate.wire import browser_headers, drain, read_capped, upstream_headers
from tre.workspace.transfer import (
    ENVELOPE_BYTES,
    KIB,
    USAGE_RECORD_BYTES,
    Limits,
    kind_of,
    too_large,
)

log = logging.getLogger("tre.workspace.gate")

PREFIX = re.compile(r"/user/(?P<user>[^/?]+)/(?P<server>[^/?]+)(?P<rest>/[^?]*)?(?:\?.*)?\Z")
# The server's own refusals (tre.workspace.serverext answers 403): recorded like the gate's.
SERVER_REFUSALS = frozenset({403, 413})
EVENT_INBOUND_CAP = 4 * KIB


class Gate:
    def __init__(
        self,
        limits: Limits,
        workspaces: Workspaces,
        manifests: Manifests,
        usage: UsageLog,
    ) -> None:
        self.limits = limits
        self.workspaces = workspaces
        self.manifests = manifests
        self.usage = usage
        self.meters: dict[tuple[str, str], Meters] = {}
        self.session: aiohttp.ClientSession | None = None

    # -- set-up ----------------------------------------------------------------------------
    async def start(self, _app: web.Application) -> None:
        self.session = aiohttp.ClientSession(
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            connector=aiohttp.TCPConnector(limit=0, force_close=False),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=600),
        )

    async def stop(self, _app: web.Application) -> None:
        if self.session is not None:
            await self.session.close()

    def meters_for(self, workspace: Workspace) -> Meters:
        key = (workspace.user, workspace.project)
        if key not in self.meters:
            self.meters[key] = new_meters(self.limits)
        return self.meters[key]

    # -- entry -------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        found = PREFIX.match(request.raw_path)
        if found is None:
            return message(404, _("No workspace here."), "no-workspace")
        user, project = unquote(found["user"]), unquote(found["server"])
        rest = (found["rest"] or "/")[1:]
        refuse = Refuser(self.usage, request, user, project)
        try:
            path = routes.canonical(rest)
        except (routes.NotCanonical, UnicodeDecodeError):
            return refuse(rest, "not-canonical", _("This address is not allowed."), status=400)
        route = routes.match(request.method, path)
        websocket = request.headers.get("Upgrade", "").lower() == "websocket"
        wants_socket = route is not None and route.handling in (Handling.KERNEL, Handling.EVENTS)
        if route is None or websocket != wants_socket:
            return refuse(path, "closed-route", closed_message())
        workspace = await self.workspaces.find(user, project)
        if workspace is None:
            return message(
                503, _("This workspace is not running; start it again from the hub."), "stopped"
            )
        refuse.route = route.name
        try:
            if wants_socket:
                return await self.relay(request, workspace, route, refuse)
            if route.handling is Handling.STATIC:
                return await self.static(request, workspace, path, refuse)
            if route.handling is Handling.CONTENTS:
                return await self.contents(request, workspace, path, refuse)
            return await self.api(request, workspace, route, path, refuse)
        except aiohttp.ClientConnectionError:
            self.workspaces.forget(workspace)
            return message(
                502, _("The workspace server did not answer; try again in a moment."), "upstream"
            )

    async def _forward(
        self, request: web.Request, workspace: Workspace, body: bytes | None
    ) -> aiohttp.ClientResponse:
        assert self.session is not None
        url = URL(workspace.address + request.raw_path, encoded=True)
        return await self.session.request(
            request.method,
            url,
            headers=upstream_headers(request),
            data=body if body else None,
            allow_redirects=False,
        )

    async def _request_body(self, request: web.Request, limit: int, meters: Meters) -> bytes | None:
        if request.content_length is not None and request.content_length > limit:
            await drain(request.content)
            return None
        body = await read_capped(request.content, limit)
        if body is None:
            await drain(request.content)
        elif body:
            await pay(meters.inbound, len(body))
        return body

    def _respond(
        self, upstream: aiohttp.ClientResponse, body: bytes | None, headers: CIMultiDict[str]
    ) -> web.Response:
        return web.Response(status=upstream.status, body=body, headers=headers)

    # -- JupyterLab's own files ----------------------------------------------------------------
    async def static(
        self, request: web.Request, workspace: Workspace, path: str, refuse: Refuser
    ) -> web.StreamResponse:
        try:
            manifest = await self.manifests.get(workspace.image_id)
        except ManifestError as exc:
            log.error("%s", exc)
            return message(503, _("The workspace's files cannot be checked now."), "manifest")
        expected = manifest.get(path)
        if expected is None:
            return refuse(path, "not-in-image", _("No such file in this workspace's image."), 404)
        size, digest = expected
        async with await self._forward(request, workspace, None) as upstream:
            headers, _size = browser_headers(upstream)
            if upstream.status == 304:
                return self._respond(upstream, None, headers)
            body = await read_capped(upstream.content, size) if upstream.status == 200 else None
        if body is None or len(body) != size or hashlib.sha256(body).hexdigest() != digest:
            return refuse(
                path, "altered-static", _("The workspace server sent an altered file."), 502
            )
        return self._respond(upstream, body, headers)

    # -- everything else allowed -----------------------------------------------------------------
    async def api(
        self, request: web.Request, workspace: Workspace, route: Route, path: str, refuse: Refuser
    ) -> web.StreamResponse:
        meters = self.meters_for(workspace)
        body = await self._request_body(request, route.request_cap, meters)
        if body is None:
            text = request_too_large(route.request_cap)
            return refuse(path, "request-too-large", text, size=request.content_length)
        async with await self._forward(request, workspace, body) as upstream:
            headers, header_bytes = browser_headers(upstream)
            answer = await read_capped(upstream.content, route.response_cap)
        if answer is None:
            return refuse(path, "response-too-large", response_too_large(), 502)
        if upstream.status in SERVER_REFUSALS:
            refuse.record(path, "workspace-server")
        await pay(meters.transfer, len(answer) + header_bytes)
        return self._respond(upstream, answer, headers)

    # -- the contents API ------------------------------------------------------------------------
    async def contents(
        self, request: web.Request, workspace: Workspace, path: str, refuse: Refuser
    ) -> web.StreamResponse:
        meters = self.meters_for(workspace)
        file_path = routes.contents_path(path)
        kind = kind_of(file_path)
        cap = self.limits.cap(kind)
        method = request.method
        if method == "GET" and request.query.get("format") == "base64":
            return refuse(file_path, "base64", download_message())
        request_cap = 2 * cap + ENVELOPE_BYTES if method == "PUT" and cap else routes.SMALL
        body = await self._request_body(request, request_cap, meters)
        if body is None:
            text = (
                too_large(name_of(file_path), kind, None, cap).message
                if cap
                else request_too_large(request_cap)
            )
            return refuse(file_path, "too-large", text, size=request.content_length)
        uploaded = 0
        if method == "PUT" and body:
            problem, uploaded = check_upload(file_path, body, self.limits)
            if problem is not None:
                return refuse(file_path, problem.reason, problem.message, size=uploaded or None)
            record = refuse.usage("workspace.upload", file_path, uploaded)
            if uploaded > USAGE_RECORD_BYTES and not await self._record(record):
                return message(503, unrecorded_message(), "unrecorded")
        response_cap = (
            3 * cap + ENVELOPE_BYTES if cap else self.limits.notebook_max_bytes + ENVELOPE_BYTES
        )
        if method != "GET":
            response_cap = routes.SMALL
        async with await self._forward(request, workspace, body) as upstream:
            headers, header_bytes = browser_headers(upstream)
            answer = await read_capped(upstream.content, response_cap)
        if answer is None:
            text = (
                too_large(name_of(file_path), kind, None, cap).message
                if cap
                else response_too_large()
            )
            return refuse(file_path, "too-large", text)
        if upstream.status in SERVER_REFUSALS:
            refuse.record(file_path, "workspace-server")
        if method == "GET" and upstream.status == 200:
            problem, sent = check_read(file_path, kind, answer, self.limits)
            if problem is not None:
                return refuse(file_path, problem.reason, problem.message, size=sent or None)
            record = refuse.usage("workspace.read", file_path, sent)
            if sent > USAGE_RECORD_BYTES and not await self._record(record):
                return message(503, unrecorded_message(), "unrecorded")
        await pay(meters.transfer, len(answer) + header_bytes)
        return self._respond(upstream, answer, headers)

    async def _record(self, usage: Usage) -> bool:
        try:
            await self.usage.record_now(usage)
        except Exception:
            return False
        return True

    # -- websockets ------------------------------------------------------------------------------
    async def relay(
        self, request: web.Request, workspace: Workspace, route: Route, refuse: Refuser
    ) -> web.StreamResponse:
        assert self.session is not None
        meters = self.meters_for(workspace)
        if route.handling is Handling.KERNEL:
            # Twice the container's caps: JSON may escape what the container measured, and the
            # container's own layer, with its messages, should act first for an honest server.
            caps = Caps(
                to_browser=2 * self.limits.output_max_bytes + ENVELOPE_BYTES,
                from_browser=2 * self.limits.text_max_bytes + ENVELOPE_BYTES,
            )
            out_bucket = meters.output
        else:
            caps = Caps(to_browser=routes.SMALL, from_browser=EVENT_INBOUND_CAP)
            out_bucket = meters.transfer
        return await relay(
            self.session, request, workspace, route.name, caps, meters, out_bucket, refuse,
            self.usage,
        )  # fmt: skip
