"""Websockets through the gate: kernel channels and server events, frame by frame.

Each frame is relayed as it comes, never held longer than its meter asks: a frame to the
browser pays into the workspace's output meter (kernel channels) or transfer meter (events),
a frame from the browser into the inbound meter. A frame over its cap ends the connection
(aiohttp refuses to read past `max_msg_size`), closed with 1009 and recorded. A channel that
carried more than `USAGE_RECORD_BYTES` is recorded when it closes, and at every further
`CHANNEL_RECORD_BYTES` while it is open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from yarl import URL

from tre.i18n import _
from tre.workspace.gate.meters import Meters, pay
from tre.workspace.gate.refusals import Refuser, message
from tre.workspace.gate.upstream import Workspace
from tre.workspace.gate.usage import CHANNEL_RECORD_BYTES, UsageLog
from tre.workspace.gate.wire import upstream_headers
from tre.workspace.transfer import USAGE_RECORD_BYTES, Bucket


@dataclass
class Channel:
    """Bytes a websocket carried, for its usage records."""

    route: str
    out_bytes: int = 0
    in_bytes: int = 0
    recorded_at: int = 0
    refused: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Caps:
    """Largest frame each way."""

    to_browser: int
    from_browser: int


async def relay(
    session: aiohttp.ClientSession,
    request: web.Request,
    workspace: Workspace,
    route: str,
    caps: Caps,
    meters: Meters,
    out_bucket: Bucket,
    refuse: Refuser,
    usage: UsageLog,
) -> web.StreamResponse:
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    protocols = [p.strip() for p in offered.split(",") if p.strip()]
    headers = upstream_headers(request)
    for name in list(headers):
        if name.lower().startswith("sec-websocket-"):
            del headers[name]
    url = URL(workspace.address + request.raw_path, encoded=True)
    try:
        upstream = await session.ws_connect(
            url,
            headers=headers,
            protocols=protocols,
            max_msg_size=caps.to_browser,
            compress=0,
            autoping=True,
        )
    except aiohttp.WSServerHandshakeError as exc:
        status = exc.status if 400 <= exc.status < 500 else 502
        return message(status, _("The workspace server refused the connection."), "ws")
    browser = web.WebSocketResponse(
        protocols=[upstream.protocol] if upstream.protocol else (),
        max_msg_size=caps.from_browser,
        autoping=True,
        compress=False,  # the proxy in front may not speak permessage-deflate
    )
    await browser.prepare(request)
    channel = Channel(route)

    async def to_browser() -> None:
        async for msg in upstream:
            if msg.type is aiohttp.WSMsgType.ERROR:
                channel.refused.append("output-too-large")
                return
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                size = await _pass(msg, out_bucket, browser.send_str, browser.send_bytes)
                channel.out_bytes += size
                _progress(channel, refuse, usage)

    async def to_server() -> None:
        async for msg in browser:
            if msg.type is aiohttp.WSMsgType.ERROR:
                channel.refused.append("input-too-large")
                return
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                channel.in_bytes += await _pass(
                    msg, meters.inbound, upstream.send_str, upstream.send_bytes
                )

    await _first_of(to_browser, to_server)
    await upstream.close()
    too_big = aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    await browser.close(code=too_big if channel.refused else aiohttp.WSCloseCode.GOING_AWAY)
    for reason in channel.refused:
        refuse.record(request.path, reason)
    if max(channel.out_bytes, channel.in_bytes) > USAGE_RECORD_BYTES:
        usage.record_later(
            refuse.channel_usage(route, channel.out_bytes, channel.in_bytes, closed=True)
        )
    return browser


async def _pass(
    msg: aiohttp.WSMessage,
    bucket: Bucket,
    send_str: Callable[[str], Awaitable[None]],
    send_bytes: Callable[[bytes], Awaitable[None]],
) -> int:
    """Pay for one frame, then send it on; its size."""
    data = msg.data
    size = len(data.encode() if isinstance(data, str) else data)
    await pay(bucket, size)
    if msg.type is aiohttp.WSMsgType.TEXT:
        await send_str(data)
    else:
        await send_bytes(data)
    return int(size)


def _progress(channel: Channel, refuse: Refuser, usage: UsageLog) -> None:
    carried = channel.out_bytes + channel.in_bytes
    if carried - channel.recorded_at >= CHANNEL_RECORD_BYTES:
        channel.recorded_at = carried
        usage.record_later(
            refuse.channel_usage(channel.route, channel.out_bytes, channel.in_bytes, closed=False)
        )


async def _first_of(*pumps: Callable[[], Awaitable[None]]) -> None:
    """Run the pumps until one ends (a side closed or broke a rule), then stop the others."""
    tasks = [asyncio.ensure_future(pump()) for pump in pumps]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
