"""Long work started from the portal (provisioning, revocation, audit verification) runs on a
small pool of background threads; the request that starts it returns at once with the job's
page, which shows its progress and result and reloads itself (no JavaScript) until it ends.

Jobs are kept in the portal's memory: the work they do is what the command line does (atomic,
audited, safe to rerun), so a portal restart loses only the progress view, never a half-done
change. A person sees only the jobs they started.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tre.errors import PolicyDenied, UserError
from tre.i18n import set_request_language

Report = Callable[[str, int, int], None]
Work = Callable[[Report], dict[str, Any]]
KEEP = 200  # finished jobs remembered


@dataclass
class Job:
    id: str
    kind: str  # provision, refresh, revoke, audit_verify
    owner: str
    subject: str  # the project (or "audit")
    lang: str
    state: str = "queued"  # queued, running, done, failed
    step: str = ""
    done: int = 0
    total: int = 0
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    reasons: list[str] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def percent(self) -> int | None:
        return int(100 * self.done / self.total) if self.total else None


class Jobs:
    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tre-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, owner: str, subject: str, lang: str, work: Work) -> Job:
        job = Job(id=secrets.token_hex(8), kind=kind, owner=owner, subject=subject, lang=lang)
        with self._lock:
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if not j.running]
            for old in finished[: max(0, len(finished) - KEEP)]:
                del self._jobs[old.id]
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Work) -> None:
        set_request_language(job.lang)  # messages of a refusal in the starter's language
        job.state = "running"

        def report(step: str, done: int, total: int) -> None:
            job.step, job.done, job.total = step, done, total

        try:
            job.result = work(report)
            job.state = "done"
        except PolicyDenied as exc:
            job.error, job.reasons, job.state = exc.message, list(exc.reasons), "failed"
        except UserError as exc:
            job.error, job.state = str(exc), "failed"
        except Exception as exc:  # a bug: say that it failed, never a traceback
            job.error, job.state = type(exc).__name__, "failed"
        job.finished_at = datetime.now(UTC)

    def get(self, job_id: str, owner: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def latest(self, owner: str, kind: str, subject: str) -> Job | None:
        found = [
            j for j in self._jobs.values() if (j.owner, j.kind, j.subject) == (owner, kind, subject)
        ]
        return found[-1] if found else None

    def running_for(self, subject: str) -> list[Job]:
        return [j for j in self._jobs.values() if j.subject == subject and j.running]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
