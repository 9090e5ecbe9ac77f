"""Which container serves `/user/<name>/<project>/`: from the Docker engine, not from a request.

The spawner labels each workspace container with its user and project when it creates it
(`USER_LABEL`, `PROJECT_LABEL`; the analyst cannot change a container's labels), and the
gate finds the one running container with both labels on the hub's workspace network. The
answer is kept until the engine reports that container stopped (its events), so a restarted
server, which gets a new address, is looked up again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

USER_LABEL = "tre.workspace.user"
PROJECT_LABEL = "tre.workspace.project"
SERVER_PORT = 8888  # DockerSpawner's default port for the single-user server


@dataclass(frozen=True)
class Workspace:
    user: str
    project: str
    address: str  # http://<ip>:<port>
    container_id: str
    image_id: str


def container_labels() -> dict[str, str]:
    """The labels the spawner gives a container (DockerSpawner fills in the templates)."""
    return {USER_LABEL: "{raw_username}", PROJECT_LABEL: "{raw_servername}"}


class Workspaces:
    def __init__(self, client: Any, network: str, port: int = SERVER_PORT) -> None:
        self.client = client
        self.network = network
        self.port = port
        self._found: dict[tuple[str, str], Workspace] = {}
        self.caching = False  # only while engine events tell when an answer goes stale
        self._stop = threading.Event()

    async def find(self, user: str, project: str) -> Workspace | None:
        key = (user, project)
        if self.caching and key in self._found:
            return self._found[key]
        try:
            found = await asyncio.to_thread(self._lookup, user, project)
        except Exception as exc:  # no engine answers: no workspace is reachable
            log.warning("cannot look up %s/%s in Docker (%s)", user, project, type(exc).__name__)
            return None
        if found is not None and self.caching:
            self._found[key] = found
        return found

    def forget(self, workspace: Workspace) -> None:
        """Drop a cached answer (the container stopped, or its address no longer answers)."""
        if self._found.get((workspace.user, workspace.project)) == workspace:
            del self._found[(workspace.user, workspace.project)]

    def _forget_container(self, container_id: str) -> None:
        for key, workspace in list(self._found.items()):
            if workspace.container_id == container_id:
                del self._found[key]

    def _lookup(self, user: str, project: str) -> Workspace | None:
        filters = {
            "label": [f"{USER_LABEL}={user}", f"{PROJECT_LABEL}={project}"],
            "network": [self.network],
            "status": "running",
        }
        found = self.client.containers.list(filters=filters)
        if len(found) != 1:
            if found:
                log.error("%d containers claim %s/%s; refusing all", len(found), user, project)
            return None
        container = found[0]
        networks = container.attrs["NetworkSettings"]["Networks"]
        address = (networks.get(self.network) or {}).get("IPAddress")
        if not address:
            return None
        return Workspace(
            user=user,
            project=project,
            address=f"http://{address}:{self.port}",
            container_id=container.id,
            image_id=container.attrs["Image"],
        )

    def _uncached(self) -> None:
        self.caching = False
        self._found.clear()

    # -- engine events -------------------------------------------------------------------
    def watch(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        """Follow the engine's container events on a thread; returns a function to stop."""
        events = self.client.events(
            decode=True,
            filters={"type": "container", "event": ["die", "destroy", "stop"]},
        )

        def follow() -> None:
            try:
                for event in events:
                    container_id = event.get("id") or (event.get("Actor") or {}).get("ID")
                    if container_id:
                        loop.call_soon_threadsafe(self._forget_container, container_id)
                    if self._stop.is_set():
                        return
            except Exception as exc:  # the engine went away: lookups still work, uncached
                if not self._stop.is_set():
                    log.warning("docker events stopped (%s); not caching addresses", exc)
            loop.call_soon_threadsafe(self._uncached)

        self.caching = True
        thread = threading.Thread(target=follow, name="tre-gate-events", daemon=True)
        thread.start()

        def stop() -> None:
            self._stop.set()
            events.close()

        return stop
