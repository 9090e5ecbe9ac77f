"""Usage records: what crossed (or was refused) between a workspace and a browser, audited.

Written from the control plane, where the database is (a container cannot reach it), with the
user, the project, the path and the size, never the content. Actions:

- `workspace.refused`: anything the gate refused (route, method, path, reason, size);
- `workspace.read` / `workspace.upload`: file content above `USAGE_RECORD_BYTES` sent to or
  taken from the browser;
- `workspace.channel`: a kernel or event websocket that carried more than that, when it
  closes and at each further `CHANNEL_RECORD_BYTES` while open.

One writer thread appends them to the hash-chained audit log in batches. A read or an upload
above the threshold is sent only after its record is committed (`record_now`); refusals and
channel records are queued (`record_later`): a flood of refused requests is bounded by the
queue, and what overflows is counted in the next record rather than lost silently.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from tre import audit
from tre.config import Settings
from tre.db import session_scope

log = logging.getLogger(__name__)

CHANNEL_RECORD_BYTES = 16 * 1024 * 1024
QUEUE_LIMIT = 10_000
BATCH = 500


@dataclass
class Usage:
    action: str
    user: str
    project: str
    body: dict[str, Any] = field(default_factory=dict)


class UsageLog:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._queue: queue.Queue[tuple[Usage, Future[None] | None] | None] = queue.Queue()
        self._overflow = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="tre-gate-usage", daemon=True)
        self._thread.start()

    async def record_now(self, usage: Usage) -> None:
        """Append `usage` and wait until it is committed (raises if it cannot be)."""
        done: Future[None] = Future()
        self._queue.put((usage, done))
        await asyncio.wrap_future(done)

    def record_later(self, usage: Usage) -> None:
        """Queue `usage`; if the queue is full, count it in the next record instead."""
        if self._queue.qsize() >= QUEUE_LIMIT:
            with self._lock:
                self._overflow += 1
            return
        self._queue.put((usage, None))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._write(batch)
                    return
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[tuple[Usage, Future[None] | None]]) -> None:
        with self._lock:
            overflow, self._overflow = self._overflow, 0
        try:
            with session_scope(self.settings) as session:
                for usage, _done in batch:
                    body = {"user": usage.user, "project": usage.project, **usage.body}
                    if overflow:
                        body["records_not_written"] = overflow
                        overflow = 0
                    audit.record(
                        session,
                        actor=usage.user,
                        action=usage.action,
                        object_type="project",
                        object_id=usage.project,
                        body=body,
                    )
        except Exception as exc:
            log.error("usage records not written (%s)", type(exc).__name__)
            for _usage, done in batch:
                if done is not None and not done.done():
                    done.set_exception(exc)
            with self._lock:
                self._overflow += overflow + sum(1 for _u, d in batch if d is None)
            return
        for _usage, done in batch:
            if done is not None and not done.done():
                done.set_result(None)
