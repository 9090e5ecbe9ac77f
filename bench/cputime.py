"""CPU seconds spent on workspace starts, for bench/spawn.py (a helper: not run alone).

A start costs CPU in four places, each read from the kernel's own counters:
- the workspace container: its cgroup's CPU usage (cgroup v1 `cpuacct.usage` or v2
  `cpu.stat`), read when the start is seen ready;
- the hub and everything it started (proxy, services; `nsenter` and other children it waited
  for are in its `cutime`/`cstime`);
- the container's `containerd-shim` (and the `runc` calls it waited for);
- `dockerd` and `containerd`, which other users of the same engine also keep busy: their share
  is reported apart, so a reader can see how much of a figure they are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds incl. waited-for children) of `pid`, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    # After the name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based.
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return ppid, (utime + stime + cutime + cstime) / TICKS


def _processes() -> dict[int, tuple[int, float]]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            found[int(entry.name)] = stat
    return found


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class Snapshot:
    hub: dict[int, float]  # the hub and its descendants
    engine: float  # dockerd + containerd
    shims: dict[int, float]  # containerd-shim processes by pid


def snapshot(hub_pid: int) -> Snapshot:
    procs = _processes()
    tree = {hub_pid}
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _cpu) in procs.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    engine = sum(cpu for pid, (_p, cpu) in procs.items() if _comm(pid) in ("dockerd", "containerd"))
    shims = {
        pid: cpu for pid, (_p, cpu) in procs.items() if _comm(pid).startswith("containerd-shim")
    }
    return Snapshot(
        hub={pid: procs[pid][1] for pid in tree if pid in procs}, engine=engine, shims=shims
    )


def container_cpu(pid: int) -> float:
    """CPU seconds used so far by the cgroup of the container whose init process is `pid`."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _id, controllers, path = line.split(":", 2)
        if "cpuacct" in controllers.split(","):
            for mount in ("cpuacct", "cpu,cpuacct"):
                usage = Path(f"/sys/fs/cgroup/{mount}{path}/cpuacct.usage")
                if usage.exists():
                    return int(usage.read_text()) / 1e9
        if controllers == "":  # cgroup v2
            stat = Path(f"/sys/fs/cgroup{path}/cpu.stat").read_text()
            usec = dict(line.split() for line in stat.splitlines())["usage_usec"]
            return int(usec) / 1e6
    raise RuntimeError(f"no CPU accounting found for pid {pid}")


@dataclass
class StartCpu:
    """CPU seconds of one or more starts, by where they were spent."""

    containers: float = 0.0
    hub: float = 0.0
    shims: float = 0.0
    engine: float = 0.0

    @property
    def total(self) -> float:
        return self.containers + self.hub + self.shims + self.engine


def between(before: Snapshot, after: Snapshot, containers: float, ids: list[str]) -> StartCpu:
    """CPU spent from `before` to `after`: the hub tree's and engine's growth, the new shims
    of the containers `ids`, and the containers' own `containers` seconds."""
    hub = sum(cpu - before.hub.get(pid, 0.0) for pid, cpu in after.hub.items())
    shims = sum(
        cpu - before.shims.get(pid, 0.0)
        for pid, cpu in after.shims.items()
        if any(cid in _cmdline(pid) for cid in ids)
    )
    return StartCpu(
        containers=containers, hub=hub, shims=shims, engine=after.engine - before.engine
    )
