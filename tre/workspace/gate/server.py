"""Assemble and run the gate: `python -m tre.workspace.gate --port P --network N [--label K=V]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from aiohttp import web

from tre.config import Settings, load_settings
from tre.workspace.gate.app import Gate
from tre.workspace.gate.statics import ManifestError, Manifests, cache_dir
from tre.workspace.gate.upstream import Workspaces
from tre.workspace.gate.usage import UsageLog
from tre.workspace.hub import hub_dir
from tre.workspace.limits import workspace_limits

log = logging.getLogger("tre.workspace.gate")
GATE = web.AppKey("gate", Gate)


def create_app(
    settings: Settings, client: Any, network: str, labels: dict[str, str] | None = None
) -> web.Application:
    """The gate as an aiohttp application, for `client` (a Docker client) and `network`."""
    labels = labels or {}
    workspaces = Workspaces(client, network)
    manifests = Manifests(client, cache_dir(hub_dir(settings)), labels)
    usage = UsageLog(settings)
    gate = Gate(workspace_limits(settings), workspaces, manifests, usage)
    app = web.Application(client_max_size=0)
    app.router.add_route("*", "/{tail:.*}", gate.handle)
    app[GATE] = gate
    stop_watching: list[Any] = []
    warming: list[asyncio.Future[None]] = []

    async def startup(app: web.Application) -> None:
        await gate.start(app)
        try:
            stop_watching.append(workspaces.watch(asyncio.get_running_loop()))
        except Exception as exc:  # no Docker engine (tre up without one): nothing to reach
            log.warning("docker events unavailable (%s); workspaces are looked up uncached",
                        type(exc).__name__)  # fmt: skip
        warming.append(asyncio.ensure_future(_warm(client, manifests, settings.workspace_image)))

    async def cleanup(app: web.Application) -> None:
        for task in warming:
            task.cancel()
        for stop in stop_watching:
            stop()
        await gate.stop(app)
        await asyncio.to_thread(usage.close)

    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    return app


async def _warm(client: Any, manifests: Manifests, image: str) -> None:
    """List the configured image's static files before the first page asks for them."""
    try:
        image_id = (await asyncio.to_thread(client.images.get, image)).id
        await manifests.get(image_id)
    except (ManifestError, Exception) as exc:  # no image yet: the first request builds it
        log.warning("static files of %s not listed yet (%s)", image, type(exc).__name__)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ip", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--network", required=True, help="the hub's workspace network")
    parser.add_argument("--label", action="append", default=[], help="K=V for containers made")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[tre-gate] %(message)s")
    import docker

    labels = dict(item.split("=", 1) for item in args.label)
    app = create_app(load_settings(), docker.from_env(), args.network, labels)
    web.run_app(app, host=args.ip, port=args.port, access_log=None, print=None)
