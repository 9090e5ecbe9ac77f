"""Headers and bodies between the browser, the gate and a workspace server."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from tre.workspace.transfer import KIB

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
# A refused request body is read to its end and dropped, up to this much, so that the proxy
# in front sees a whole exchange (else it resets the browser's connection); beyond, the
# connection is closed.
DRAIN_LIMIT = 64 * 1024 * KIB


def upstream_headers(request: web.Request) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in request.headers.items():
        if name.lower() not in HOP_BY_HOP:
            headers.add(name, value)
    headers["Accept-Encoding"] = "identity"
    return headers


def browser_headers(upstream: aiohttp.ClientResponse) -> tuple[CIMultiDict[str], int]:
    """The allowed response headers and how many bytes they hold."""
    headers: CIMultiDict[str] = CIMultiDict()
    size = 0
    for name, value in upstream.headers.items():
        if name.lower() in RESPONSE_HEADERS and len(value) <= MAX_HEADER_VALUE:
            headers.add(name, value)
            size += len(name) + len(value)
    return headers, size


async def read_capped(stream: aiohttp.StreamReader, limit: int) -> bytes | None:
    """The whole body, or None as soon as it exceeds `limit` bytes."""
    buf = bytearray()
    async for chunk in stream.iter_any():
        buf += chunk
        if len(buf) > limit:
            return None
    return bytes(buf)


async def drain(stream: aiohttp.StreamReader) -> None:
    """Read what is left of a refused request body, keeping none of it."""
    left = DRAIN_LIMIT
    while left > 0:
        chunk = await stream.readany()
        if not chunk:
            return
        left -= len(chunk)
