"""Embedded policy decision latency: regorus over the repository's policies.

Baseline, measured in the same run: the same question ("may this checker approve this
request?") answered by a plain Python function. Prints both per-decision times and their
ratio. The embedded engine must stay well under 5 ms per decision.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from tre.config import load_settings
from tre.policy import AUTHZ, complete_input, engine

N = 5000

INPUT: dict[str, Any] = {
    "actor": {"username": "chk", "roles": ["output_checker"], "known": True},
    "project": {
        "id": "p-1",
        "status": "approved",
        "tier": "standard",
        "applicant": "lena",
        "members": {"lena": "lead", "ana": "analyst"},
        "approvers": ["appy"],
        "provisioned": True,
    },
    "permit": {"grant": {"s.t": ["a"]}, "valid_from": "2025-01-01", "valid_to": "2099-01-01"},
    "request": {
        "id": "r-1",
        "author": "ana",
        "status": "reviewed",
        "votes": [{"reviewer": "chk", "vote": "approve"}, {"reviewer": "chk2", "vote": "approve"}],
        "blocking_findings": 0,
    },
    "decision": "approve",
}


def python_check(document: dict[str, Any]) -> bool:
    """The same rules, hand-written: a baseline, not a replacement."""
    actor, request, project = document["actor"], document["request"], document["project"]
    approvals = {
        v["reviewer"]
        for v in request["votes"]
        if v["vote"] == "approve"
        and v["reviewer"] != request["author"]
        and project["members"].get(v["reviewer"]) not in {"lead", "analyst"}
        and v["reviewer"] not in project["approvers"]
    }
    return (
        "output_checker" in actor["roles"]
        and actor["username"] != request["author"]
        and request["status"] == "reviewed"
        and len(approvals) >= 2
        and request["blocking_findings"] == 0
    )


def per_call(fn: Callable[[], object]) -> float:
    """Median of 5 runs of N calls, in milliseconds per call."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(N):
            fn()
        runs.append((time.perf_counter() - start) / N * 1000)
    return statistics.median(runs)


def main() -> None:
    settings = load_settings()
    started = time.perf_counter()
    policy_engine = engine(settings)
    load_ms = (time.perf_counter() - started) * 1000
    document = complete_input(settings, "airlock.decide", INPUT)
    decision = policy_engine.decide(AUTHZ, document)
    assert decision.allow and python_check(document), decision
    rego_ms = per_call(lambda: policy_engine.decide(AUTHZ, document))
    python_ms = per_call(lambda: python_check(document))
    print(f"policy load (once per thread): {load_ms:.2f} ms")
    print(f"embedded Rego decision:        {rego_ms:.4f} ms")
    print(f"plain Python check (baseline): {python_ms:.4f} ms")
    print(f"ratio Rego / Python:           {rego_ms / python_ms:.0f}x")
    print(f"headroom to the 5 ms budget:   {5 / rego_ms:.0f}x")


if __name__ == "__main__":
    main()
