"""Container exits from Docker's event stream, so that starting servers need not poll Docker.

A server that is starting is probed over HTTP until it answers; if its container dies first,
the probe alone would wait out the whole timeout. Asking Docker ("is it still running?")
every few milliseconds for every pending start costs one Docker call each time. Instead one
thread per hub follows Docker's events (`die`, for containers carrying the workspace label)
and resolves the future of the start that waits on that container.

The stream is opened with `since` = the moment the watcher was made, and reopened after an
error from the last event seen, so an exit between "start" and "watch" is never missed: Docker
replays the events since then.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class ContainerExits:
    """Futures that resolve with a container's exit code when Docker reports it died."""

    def __init__(self, make_client: Callable[[], Any], label: str) -> None:
        self._make_client = make_client
        self._label = label
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future[int]]] = {}
        self._since = time.time()
        self._thread: threading.Thread | None = None

    def watch(self, container_id: str) -> asyncio.Future[int]:
        """A future for `container_id`'s exit code; call `forget` when no longer needed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        with self._lock:
            self._waiting[container_id] = (loop, future)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._follow, name="tre-container-exits", daemon=True
                )
                self._thread.start()
        return future

    def forget(self, container_id: str) -> None:
        with self._lock:
            entry = self._waiting.pop(container_id, None)
        if entry is not None:
            loop, future = entry
            loop.call_soon_threadsafe(future.cancel)

    def _follow(self) -> None:
        filters = {"type": "container", "event": "die", "label": self._label}
        while True:
            try:
                client = self._make_client()
                for event in client.events(since=self._since, filters=filters, decode=True):
                    self._since = max(self._since, float(event.get("time", self._since)))
                    self._died(str(event.get("id", "")), event)
            except Exception as exc:  # the engine restarted or the stream broke: reopen it
                log.warning("Docker event stream interrupted (%s); reopening", exc)
            time.sleep(1)

    def _died(self, container_id: str, event: dict[str, Any]) -> None:
        with self._lock:
            entry = self._waiting.pop(container_id, None)
        if entry is None:
            return
        loop, future = entry
        code = int((event.get("Actor") or {}).get("Attributes", {}).get("exitCode", -1))

        def resolve() -> None:
            if not future.done():
                future.set_result(code)

        loop.call_soon_threadsafe(resolve)
