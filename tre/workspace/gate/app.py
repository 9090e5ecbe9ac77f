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

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from tre.i18n import _
from tre.workspace.gate import routes
from tre.workspace.gate.routes import Handling, Route
from tre.workspace.gate.statics import ManifestError, Manifests
from tre.workspace.gate.upstream import Workspace, Workspaces
from tre.workspace.gate.usage import CHANNEL_RECORD_BYTES, Usage, UsageLog
from tre.workspace.transfer import (
    ENVELOPE_BYTES,
    KIB,
    USAGE_RECORD_BYTES,
    Bucket,
    Kind,
    Limits,
    Refusal,
    content_size,
    decoded_content,
    human_bytes,
    kind_of,
    read_refusal,
    too_large,
    upload_refusal,
)

log = logging.getLogger("tre.workspace.gate")

PREFIX = re.compile(r"/user/(?P<user>[^/?]+)/(?P<server>[^/?]+)(?P<rest>/[^?]*)?(?:\?.*)?\Z")
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "expect",
        # The gate reads bodies whole and never compressed, and never serves ranges.
        "accept-encoding",
        "range",
        "if-range",
    }
)
RESPONSE_HEADERS = frozenset(
    {
        "content-type",
        "cache-control",
        "location",
        "etag",
        "last-modified",
        "set-cookie",
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "access-control-allow-origin",
        "x-jupyterhub-version",
        "retry-after",
    }
)
MAX_HEADER_VALUE = 4 * KIB
# The server's own refusals (tre.workspace.serverext answers 403): recorded like the gate's.
SERVER_REFUSALS = frozenset({403, 413})
EVENT_INBOUND_CAP = 4 * KIB
AUDIT_PATH_CHARS = 512


@dataclass
class Meters:
    """A workspace's buckets: kernel output to the browser, other traffic each way."""

    output: Bucket
    transfer: Bucket
    inbound: Bucket


@dataclass
class Channel:
    """Bytes a websocket carried, for its usage records."""

    out_bytes: int = 0
    in_bytes: int = 0
    recorded_at: int = 0
    refused: list[str] = field(default_factory=list)


async def pay(bucket: Bucket, size: int) -> None:
    delay = bucket.debt(size, time.monotonic())
    if delay > 0:
        await asyncio.sleep(delay)


def _message(status: int, message: str, reason: str) -> web.Response:
    return web.json_response({"message": message, "reason": reason}, status=status)


def _upstream_headers(request: web.Request) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in request.headers.items():
        if name.lower() not in HOP_BY_HOP:
            headers.add(name, value)
    headers["Accept-Encoding"] = "identity"
    return headers


def _browser_headers(upstream: aiohttp.ClientResponse) -> tuple[CIMultiDict[str], int]:
    """The allowed response headers and how many bytes they hold."""
    headers: CIMultiDict[str] = CIMultiDict()
    size = 0
    for name, value in upstream.headers.items():
        if name.lower() in RESPONSE_HEADERS and len(value) <= MAX_HEADER_VALUE:
            headers.add(name, value)
            size += len(name) + len(value)
    return headers, size


async def _read_capped(stream: aiohttp.StreamReader, limit: int) -> bytes | None:
    """The whole body, or None as soon as it exceeds `limit` bytes."""
    buf = bytearray()
    async for chunk in stream.iter_any():
        buf += chunk
        if len(buf) > limit:
            return None
    return bytes(buf)


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
            now, lim = time.monotonic(), self.limits
            self.meters[key] = Meters(
                output=Bucket(lim.output_rate_bytes, lim.output_burst_bytes, now),
                transfer=Bucket(lim.transfer_rate_bytes, lim.transfer_burst_bytes, now),
                inbound=Bucket(lim.transfer_rate_bytes, lim.transfer_burst_bytes, now),
            )
        return self.meters[key]

    # -- entry -------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        found = PREFIX.match(request.raw_path)
        if found is None:
            return _message(404, _("No workspace here."), "no-workspace")
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
            return refuse(path, "closed-route", _closed_message())
        workspace = await self.workspaces.find(user, project)
        if workspace is None:
            return _message(
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
            return _message(
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
            headers=_upstream_headers(request),
            data=body if body else None,
            allow_redirects=False,
        )

    async def _request_body(self, request: web.Request, limit: int, meters: Meters) -> bytes | None:
        if request.content_length is not None and request.content_length > limit:
            return None
        body = await _read_capped(request.content, limit)
        if body:
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
            return _message(503, _("The workspace's files cannot be checked now."), "manifest")
        expected = manifest.get(path)
        if expected is None:
            return refuse(path, "not-in-image", _("No such file in this workspace's image."), 404)
        size, digest = expected
        async with await self._forward(request, workspace, None) as upstream:
            headers, _size = _browser_headers(upstream)
            if upstream.status == 304:
                return self._respond(upstream, None, headers)
            body = await _read_capped(upstream.content, size) if upstream.status == 200 else None
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
            message = _request_too_large(route.request_cap)
            return refuse(path, "request-too-large", message, size=request.content_length)
        async with await self._forward(request, workspace, body) as upstream:
            headers, header_bytes = _browser_headers(upstream)
            answer = await _read_capped(upstream.content, route.response_cap)
        if answer is None:
            return refuse(path, "response-too-large", _response_too_large(), 502)
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
            return refuse(file_path, "base64", _download_message())
        request_cap = 2 * cap + ENVELOPE_BYTES if method == "PUT" and cap else routes.SMALL
        body = await self._request_body(request, request_cap, meters)
        if body is None:
            message = (
                too_large(_name(file_path), kind, None, cap).message
                if cap
                else _request_too_large(request_cap)
            )
            return refuse(file_path, "too-large", message, size=request.content_length)
        uploaded = 0
        if method == "PUT" and body:
            problem, uploaded = self._check_upload(file_path, body)
            if problem is not None:
                return refuse(file_path, problem.reason, problem.message, size=uploaded or None)
            record = refuse.usage("workspace.upload", file_path, uploaded)
            if uploaded > USAGE_RECORD_BYTES and not await self._record(record):
                return _message(503, _unrecorded_message(), "unrecorded")
        response_cap = (
            3 * cap + ENVELOPE_BYTES if cap else self.limits.notebook_max_bytes + ENVELOPE_BYTES
        )
        if method != "GET":
            response_cap = routes.SMALL
        async with await self._forward(request, workspace, body) as upstream:
            headers, header_bytes = _browser_headers(upstream)
            answer = await _read_capped(upstream.content, response_cap)
        if answer is None:
            message = (
                too_large(_name(file_path), kind, None, cap).message
                if cap
                else _response_too_large()
            )
            return refuse(file_path, "too-large", message)
        if upstream.status in SERVER_REFUSALS:
            refuse.record(file_path, "workspace-server")
        if method == "GET" and upstream.status == 200:
            problem, sent = self._check_read(file_path, kind, answer)
            if problem is not None:
                return refuse(file_path, problem.reason, problem.message, size=sent or None)
            record = refuse.usage("workspace.read", file_path, sent)
            if sent > USAGE_RECORD_BYTES and not await self._record(record):
                return _message(503, _unrecorded_message(), "unrecorded")
        await pay(meters.transfer, len(answer) + header_bytes)
        return self._respond(upstream, answer, headers)

    def _check_upload(self, file_path: str, body: bytes) -> tuple[Refusal | None, int]:
        try:
            model = json.loads(body)
        except ValueError:
            model = None
        if not isinstance(model, dict):
            return Refusal("not-a-model", _("This is not a file the workspace can save.")), 0
        problem = upload_refusal(file_path, model, self.limits)
        try:
            content = decoded_content(model)
        except ValueError:
            content = None
        return problem, content_size(content) if content is not None else 0

    def _check_read(self, file_path: str, kind: Kind, answer: bytes) -> tuple[Refusal | None, int]:
        """Whether a contents-API answer may reach the browser, and the content's size."""
        cap = self.limits.cap(kind)
        if cap is not None and len(answer) <= cap + ENVELOPE_BYTES:
            return None, len(answer)  # whatever it holds, it is within the cap
        try:
            model = json.loads(answer)
        except ValueError:
            model = None
        if not isinstance(model, dict):
            return Refusal("not-a-model", _response_too_large()), len(answer)
        if model.get("type") == "directory":
            entries = model.get("content") or []
            if isinstance(entries, list) and all(
                isinstance(e, dict) and e.get("content") is None for e in entries
            ):
                return None, len(answer)
            return Refusal("listing-with-content", _response_too_large()), len(answer)
        if model.get("content") is None:
            return None, len(answer)
        if cap is None:
            return read_refusal(file_path, None, self.limits), len(answer)
        if model.get("format") == "base64":
            return Refusal("base64", _download_message()), len(answer)
        try:
            content = decoded_content(model)
        except ValueError:
            content = None
        size = content_size(content) if content is not None else len(answer)
        if size > cap:
            return too_large(_name(file_path), kind, size, cap), size
        return None, size

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
        kernel = route.handling is Handling.KERNEL
        # Twice the container's caps: JSON may escape what the container measured, and the
        # container's own layer, with its messages, should act first for an honest server.
        out_cap = 2 * self.limits.output_max_bytes + ENVELOPE_BYTES if kernel else routes.SMALL
        in_cap = 2 * self.limits.text_max_bytes + ENVELOPE_BYTES if kernel else EVENT_INBOUND_CAP
        out_bucket = meters.output if kernel else meters.transfer
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        protocols = [p.strip() for p in offered.split(",") if p.strip()]
        headers = _upstream_headers(request)
        for name in list(headers):
            if name.lower().startswith("sec-websocket-"):
                del headers[name]
        url = URL(workspace.address + request.raw_path, encoded=True)
        try:
            upstream = await self.session.ws_connect(
                url,
                headers=headers,
                protocols=protocols,
                max_msg_size=out_cap,
                compress=0,
                autoping=True,
            )
        except aiohttp.WSServerHandshakeError as exc:
            status = exc.status if 400 <= exc.status < 500 else 502
            return _message(status, _("The workspace server refused the connection."), "ws")
        browser = web.WebSocketResponse(
            protocols=[upstream.protocol] if upstream.protocol else (),
            max_msg_size=in_cap,
            autoping=True,
            compress=False,  # the proxy in front may not speak permessage-deflate
        )
        await browser.prepare(request)
        channel = Channel()

        async def to_browser() -> None:
            async for msg in upstream:
                if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    size = len(msg.data.encode() if isinstance(msg.data, str) else msg.data)
                    await pay(out_bucket, size)
                    channel.out_bytes += size
                    await (browser.send_str if msg.type is aiohttp.WSMsgType.TEXT
                           else browser.send_bytes)(msg.data)  # fmt: skip
                    self._channel_progress(refuse, route, channel)
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    channel.refused.append("output-too-large")
                    return

        async def to_server() -> None:
            async for msg in browser:
                if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    size = len(msg.data.encode() if isinstance(msg.data, str) else msg.data)
                    await pay(meters.inbound, size)
                    channel.in_bytes += size
                    await (upstream.send_str if msg.type is aiohttp.WSMsgType.TEXT
                           else upstream.send_bytes)(msg.data)  # fmt: skip
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    channel.refused.append("input-too-large")
                    return

        await _first_of(to_browser, to_server)
        await upstream.close()
        await browser.close(
            code=aiohttp.WSCloseCode.MESSAGE_TOO_BIG
            if channel.refused
            else aiohttp.WSCloseCode.GOING_AWAY
        )
        for reason in channel.refused:
            refuse.record(request.path, reason)
        if max(channel.out_bytes, channel.in_bytes) > USAGE_RECORD_BYTES:
            self.usage.record_later(refuse.channel_usage(route.name, channel, closed=True))
        return browser

    def _channel_progress(self, refuse: Refuser, route: Route, channel: Channel) -> None:
        carried = channel.out_bytes + channel.in_bytes
        if carried - channel.recorded_at >= CHANNEL_RECORD_BYTES:
            channel.recorded_at = carried
            self.usage.record_later(refuse.channel_usage(route.name, channel, closed=False))


async def _first_of(*pumps: Callable[[], Awaitable[None]]) -> None:
    """Run the pumps until one ends (a side closed or broke a rule), then stop the others."""
    tasks = [asyncio.ensure_future(pump()) for pump in pumps]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Refuser:
    """Refusals and usage records of one request, with its user, project and route."""

    def __init__(self, log_: UsageLog, request: web.Request, user: str, project: str) -> None:
        self.log = log_
        self.method = request.method
        self.user = user
        self.project = project
        self.route = "unknown"

    def __call__(
        self, path: str, reason: str, message: str, status: int = 403, size: int | None = None
    ) -> web.Response:
        """Record the refusal; the answer for the browser."""
        self.record(path, reason, size)
        return _message(status, message, reason)

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

    def channel_usage(self, route: str, channel: Channel, closed: bool) -> Usage:
        body = {
            "route": route,
            "bytes_to_browser": channel.out_bytes,
            "bytes_from_browser": channel.in_bytes,
            "closed": closed,
        }
        return Usage("workspace.channel", self.user, self.project, body)


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _closed_message() -> str:
    return _(
        "This is not available from a TRE workspace: the browser gets notebooks and code "
        "files, not downloads, terminals or exports. Results leave through an output release "
        "request (the airlock)."
    )


def _download_message() -> str:
    return _("Downloading files is disabled in this workspace. Request an output release instead.")


def _request_too_large(cap: int) -> str:
    return _("This request is larger than a workspace accepts here ({limit}).").format(
        limit=human_bytes(cap)
    )


def _response_too_large() -> str:
    return _("The workspace's answer is larger than the browser may be sent here.")


def _unrecorded_message() -> str:
    return _("This cannot be sent now: its usage record could not be written. Try again later.")
