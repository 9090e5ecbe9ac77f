"""Every route the gate lets through to a workspace server, and how it is handled.

A request's path below the server's prefix (`/user/<name>/<project>/`) is decoded and must
be canonical (no empty, `.` or `..` segments: the server would resolve them, so the gate
refuses them instead of guessing). Its method and path must match one row of `ROUTES`;
everything else is refused. docs/workspaces.md lists the same table with the reasons for
each route the single-user server has and the gate closes.

How a route is handled:
- `STATIC`: files of the image (JupyterLab's bundles, lab extensions, kernel logos). The
  body must be byte for byte the file of that path in the workspace's image (a hash
  manifest, `tre.workspace.gate.statics`); not metered.
- `CONTENTS`: the contents API, with caps by file kind (`tre.workspace.transfer`).
- `KERNEL`, `EVENTS`: websockets; frames capped and metered.
- `API`: everything else allowed: small JSON or pages, capped and metered.
"""

# ruff: noqa: E501  (the route table reads best one route a line)
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote

from tre.workspace.transfer import KIB, MIB


class Handling(Enum):
    STATIC = "static"
    CONTENTS = "contents"
    KERNEL = "kernel"
    EVENTS = "events"
    API = "api"


SMALL = 64 * KIB  # API answers and request bodies: kernels, sessions, status, redirects
PAGE = 256 * KIB  # JupyterLab's HTML page and theme CSS
LAB_DATA = 1 * MIB  # settings, layouts, translations, licences (about 150-300 KiB today)

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ANY = frozenset({"GET", "PUT", "POST", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Route:
    name: str
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handling: Handling
    response_cap: int = SMALL  # not used by STATIC and CONTENTS (their own rules)
    request_cap: int = SMALL


def _route(
    name: str,
    methods: str,
    pattern: str,
    handling: Handling = Handling.API,
    response_cap: int = SMALL,
    request_cap: int = SMALL,
) -> Route:
    return Route(
        name,
        frozenset(methods.split()),
        re.compile(pattern + r"\Z"),
        handling,
        response_cap,
        request_cap,
    )


# fmt: off
ROUTES: tuple[Route, ...] = (
    # The server's root and sign-in steps (redirects).
    _route("root", "GET", r""),
    _route("oauth", "GET", r"oauth_callback"),
    _route("login", "GET", r"login"),
    _route("logout", "GET", r"logout"),
    # JupyterLab's page and the files it loads.
    _route("page", "GET", r"(lab|doc)(/workspaces/[A-Za-z0-9_-]+)?(/tree/.*)?", response_cap=PAGE),
    _route("static", "GET", r"static/.+", Handling.STATIC),
    _route("lab-extension", "GET", r"lab/extensions/.+", Handling.STATIC),
    _route(
        "kernel-logo",
        "GET",
        r"kernelspecs/[\w.%-]+/(logo-32x32\.png|logo-64x64\.png|logo-svg\.svg)",
        Handling.STATIC,
    ),
    _route("favicon", "GET", r"favicon\.ico", Handling.STATIC),
    _route("theme", "GET", r"lab/api/themes/.+", response_cap=PAGE),
    _route("settings", "GET", r"lab/api/settings", response_cap=LAB_DATA),
    _route("setting", "GET PUT", r"lab/api/settings/.+", response_cap=LAB_DATA, request_cap=LAB_DATA),
    _route("layouts", "GET", r"lab/api/workspaces", response_cap=LAB_DATA),
    _route("layout", "GET PUT DELETE", r"lab/api/workspaces/.+", response_cap=LAB_DATA, request_cap=LAB_DATA),
    _route("translations", "GET", r"lab/api/translations(/.*)?", response_cap=LAB_DATA),
    _route("licences", "GET", r"lab/api/licenses/?", response_cap=LAB_DATA),
    _route("build-status", "GET", r"lab/api/build"),
    # The Jupyter server's REST API.
    _route("api-version", "GET", r"api"),
    _route("status", "GET", r"api/status"),
    _route("identity", "GET", r"api/me"),
    _route("resolve-path", "GET", r"api/resolvePath"),
    _route("checkpoints", "GET POST", r"api/contents/.+/checkpoints"),
    _route("checkpoint", "POST DELETE", r"api/contents/.+/checkpoints/[\w-]+"),
    _route("trust", "POST", r"api/contents/.+/trust"),
    _route("contents", " ".join(sorted(_ANY)), r"api/contents(/.*)?", Handling.CONTENTS),
    _route("kernels", "GET POST", r"api/kernels"),
    _route("kernel", "GET DELETE", rf"api/kernels/{_UUID}"),
    _route("kernel-action", "POST", rf"api/kernels/{_UUID}/(restart|interrupt)"),
    _route("kernel-channels", "GET", rf"api/kernels/{_UUID}/channels", Handling.KERNEL),
    _route("kernelspecs", "GET", r"api/kernelspecs(/[\w.%-]+)?"),
    _route("sessions", "GET POST", r"api/sessions"),
    _route("session", "GET PATCH DELETE", rf"api/sessions/{_UUID}"),
    _route("events", "GET", r"api/events/subscribe", Handling.EVENTS),
    _route("shutdown", "POST", r"api/shutdown"),
    _route("export-formats", "GET", r"api/nbconvert"),  # names only; exports stay closed
)
# fmt: on


class NotCanonical(ValueError):
    """A path with empty, `.` or `..` segments, a NUL or a backslash."""


def canonical(rest: str) -> str:
    """The decoded path below the server prefix; raises NotCanonical for ambiguous paths."""
    decoded = unquote(rest, errors="strict")
    if "\x00" in decoded or "\\" in decoded:
        raise NotCanonical(rest)
    body = decoded[:-1] if decoded.endswith("/") else decoded
    if body and any(part in ("", ".", "..") for part in body.split("/")):
        raise NotCanonical(rest)
    return decoded


def match(method: str, path: str) -> Route | None:
    """The route for `method` on the canonical `path` (None: refused)."""
    stripped = path.rstrip("/")
    for route in ROUTES:
        if route.pattern.match(stripped):
            return route if method in route.methods else None
    return None


def contents_path(path: str) -> str:
    """The file path of a contents-API route (`api/contents/a/b.py` -> `a/b.py`)."""
    return path.removeprefix("api/contents").strip("/")
