"""The public pages' data, computed once for each state of the TRE and reused.

Every state change commits with its audit event, so the sequence number of the chain's head
names the state that the register's and the catalogue's data were read from; with the current
minute (permits begin and end by the clock) it is the key under which that data is reused. A
reader then pays one one-row query instead of the policy decisions and queries that build the
data (about 12 ms of CPU for the register), which is what keeps the public pages fast under
many readers. Values are plain data shared by every request: treat them as read-only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tre.audit import HEAD_ID
from tre.config import Settings
from tre.db import AuditHead, db_engine

T = TypeVar("T")


STATE_CHECK_SECONDS = 1.0
_commits = [0]  # commits made in this process, by any session


@event.listens_for(Session, "after_commit")
def _count_commit(session: Session) -> None:
    _commits[0] += 1


class PublicCache:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._clock = clock
        self._entries: dict[str, tuple[tuple[int, int], Any]] = {}
        self._lock = threading.Lock()
        self._state: tuple[int, int] = (-1, -1)
        self._state_read_at = float("-inf")
        self._commits_seen = -1

    def read_state(self) -> tuple[int, int]:
        """(audit head sequence number, minute): changes whenever the public data may."""
        with db_engine(self._settings).connect() as conn:
            seq = conn.execute(select(AuditHead.seq).where(AuditHead.id == HEAD_ID)).scalar()
        return int(seq or 0), int(self._clock() // 60)

    def state(self) -> tuple[int, int]:
        now, commits = self._clock(), _commits[0]
        if commits != self._commits_seen or now - self._state_read_at >= STATE_CHECK_SECONDS:
            self._state, self._state_read_at, self._commits_seen = self.read_state(), now, commits
        return self._state

    def get(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()`'s value for the current state, computed at most once per state."""
        key = self.state()
        entry = self._entries.get(name)
        if entry is not None and entry[0] == key:
            value: T = entry[1]
            return value
        value = compute()
        with self._lock:
            self._entries[name] = (key, value)
        return value
