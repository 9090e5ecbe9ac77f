"""Benchmark: workspace starts through the hub, one alone and many at once.

Starts a real JupyterHub with TreSpawner (internal network, packet filter, policy check,
mounts, default route removed) and its proxy in a throw-away TRE_HOME, then:

1. One start at a time, `--runs` times: POST /users/bench-1/servers/p-1, poll the REST API
   until ready, DELETE; against a bare `docker run IMAGE true` and a bare Jupyter server in the
   same image (no hub, no isolation). The CPU seconds of each start are read from the kernel
   (bench/cputime.py): the container's cgroup, the hub and its children, the container's shim,
   dockerd + containerd.
2. For each N of `--concurrent` (default 1 10 20): N users each start their server for the
   project at the same moment through the proxy with their own token, and poll it every 0.5 s
   as the hub's pages do, until ready (120 s at most: then a failure). Prints p50/p95/max
   start-to-ready, failures, and the ratio of p95 to the CPU floor: N x single-start CPU
   seconds / cores, the time N starts need at the very least on this machine.
`--rounds` repeats part 2: medians over rounds, and the spread (min-max).
Everything it creates is labelled `tre.bench=1` and removed.

    python bench/spawn.py [--runs 5] [--concurrent 1 10 20] [--rounds 1] [--image IMAGE]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cputime
import docker
import duckdb
import httpx

from tre.workspace.launcher import RunningHub, remove_containers, running_hub

BENCH_DIR = Path(__file__).resolve().parent
LABELS = {"tre.bench": "1"}
PROJECT = "p-1"
TARGET_SECONDS = 3.0
TARGET_FLOOR_RATIO = 1.2
POLL_SECONDS = 0.5  # how often the hub's spawn page asks; what a person waits on
START_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def user(i: int) -> str:
    return f"bench-{i}"


def make_extract(extracts: Path) -> None:
    """A small extract laid out like tre.extract's (catalog.duckdb, data/, `current` link)."""
    build = extracts / PROJECT / "builds" / "b1"
    (build / "data").mkdir(parents=True)
    con = duckdb.connect(str(build / "catalog.duckdb"))
    con.execute(f"SET file_search_path = '{build}'")
    con.execute(
        f"COPY (SELECT 'p' || i AS person_id FROM range(100) t(i)) "
        f"TO '{build / 'data' / 'patients.parquet'}' (FORMAT parquet)"
    )
    con.execute("CREATE VIEW patients AS SELECT * FROM read_parquet('data/patients.parquet')")
    con.close()
    (build / "manifest.json").write_text(json.dumps({"project": PROJECT}))
    os.symlink("builds/b1", extracts / PROJECT / "current")


def wait(predicate: Callable[[], bool], timeout: float, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise RuntimeError("timed out")


def server_state(http: httpx.Client, name: str) -> dict[str, object]:
    servers = http.get(f"/users/{name}").json().get("servers") or {}
    return dict(servers.get(PROJECT) or {})


def container_pid(client: docker.DockerClient, prefix: str, name: str) -> tuple[str, int]:
    """(id, init pid) of `name`'s workspace container."""

    def escape(text: str) -> str:  # as DockerSpawner does: p-1 -> p-2d1
        return text.replace("-", "-2d")

    container = client.containers.get(f"{prefix}-{escape(name)}--{escape(PROJECT)}")
    return container.id, int(container.attrs["State"]["Pid"])


def hub_spawn(
    api: str, token: str, hub_pid: int, client: docker.DockerClient, prefix: str
) -> tuple[float, cputime.StartCpu]:
    """Seconds from the start request to the hub reporting the server ready, and its CPU."""
    http = httpx.Client(base_url=api, headers={"Authorization": f"token {token}"}, timeout=120)
    name = user(1)
    before = cputime.snapshot(hub_pid)
    t0 = time.perf_counter()
    resp = http.post(f"/users/{name}/servers/{PROJECT}")
    if resp.status_code not in (201, 202):
        raise RuntimeError(f"start refused: {resp.status_code} {resp.text[:300]}")
    wait(lambda: bool(server_state(http, name).get("ready")), 120)
    elapsed = time.perf_counter() - t0
    cid, pid = container_pid(client, prefix, name)
    used = cputime.between(before, cputime.snapshot(hub_pid), cputime.container_cpu(pid), [cid])
    http.delete(f"/users/{name}/servers/{PROJECT}").raise_for_status()
    wait(lambda: not server_state(http, name), 60, 0.1)
    http.close()
    return elapsed, used


def bare_run(image: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        ["docker", "run", "--rm", "--label", "tre.bench=1", image, "true"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def bare_server(client: docker.DockerClient, image: str) -> float:
    """Seconds from `docker run` to the image's Jupyter server answering its API."""
    t0 = time.perf_counter()
    container = client.containers.run(
        image,
        ["jupyter", "server", "--ip=0.0.0.0", "--port=8888", "--IdentityProvider.token="],
        detach=True,
        labels=LABELS,
    )
    try:
        container.reload()
        ip = container.attrs["NetworkSettings"]["IPAddress"]

        def answers() -> bool:
            try:
                return httpx.get(f"http://{ip}:8888/api", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait(answers, 60)
        return time.perf_counter() - t0
    finally:
        container.remove(force=True)


def import_profile(image: str, top: int = 6) -> tuple[float, list[tuple[float, str]]]:
    """Import time of `jupyterhub.singleuser` inside the image (-X importtime): the total and
    the slowest modules by their own (self) time."""
    done = subprocess.run(
        [
            *("docker", "run", "--rm", "--label", "tre.bench=1", image),
            *("python", "-X", "importtime", "-c", "import jupyterhub.singleuser"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    total, rows = 0.0, []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        own, cumulative, name = int(parts[0].split(":")[1]) / 1e6, int(parts[1]) / 1e6, parts[2]
        if name.strip() == "jupyterhub.singleuser":
            total = cumulative
        rows.append((own, name.strip()))
    return total, sorted(rows, reverse=True)[:top]


def spawn_breakdown(log: str, skip_first: bool = True) -> dict[str, float]:
    """Medians of the spawner's own timing lines and the hub's "took N seconds to start"."""
    parts: dict[str, list[float]] = {"check": [], "container": [], "server": [], "hub": []}
    for line in log.splitlines():
        if "tre-spawn-timing" in line:
            for item in line.split("tre-spawn-timing", 1)[1].split():
                key, _sep, value = item.partition("=")
                parts[key].append(float(value))
        elif "seconds to start" in line:
            parts["hub"].append(float(line.split(" took ")[1].split()[0]))
    # The first start is the warm-up, as in the timed figures.
    first = 1 if skip_first else 0
    return {k: statistics.median(v[first:] or v) for k, v in parts.items() if v}


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank, so p95 of 20 is the 19th value)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


@dataclass
class Burst:
    """What N starts at once gave."""

    n: int
    times: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    cpu: cputime.StartCpu = field(default_factory=cputime.StartCpu)
    hub_log: str = ""


def user_start(
    public: str, name: str, token: str, go: threading.Barrier, out: Burst, lock: threading.Lock
) -> None:
    """One person: start the server through the proxy, then poll until it is ready."""
    http = httpx.Client(
        base_url=f"{public}/hub/api", headers={"Authorization": f"token {token}"}, timeout=60
    )
    try:
        go.wait()
        t0 = time.perf_counter()
        resp = http.post(f"/users/{name}/servers/{PROJECT}")
        if resp.status_code not in (201, 202):
            raise RuntimeError(f"start answered HTTP {resp.status_code}")
        while True:
            state = server_state(http, name)
            if state.get("ready"):
                break
            if not state:
                raise RuntimeError("the server stopped before it was ready")
            if time.perf_counter() - t0 > START_TIMEOUT:
                raise RuntimeError(f"not ready after {START_TIMEOUT} s")
            time.sleep(POLL_SECONDS)
        with lock:
            out.times.append(time.perf_counter() - t0)
    except (httpx.HTTPError, RuntimeError) as exc:
        with lock:
            out.failures.append(f"{name}: {exc}")
    finally:
        http.close()


def burst(
    hub: RunningHub, client: docker.DockerClient, prefix: str, tokens: dict[str, str], n: int
) -> Burst:
    """N users start at the same moment; CPU of the whole burst; all stopped afterwards."""
    out, lock = Burst(n), threading.Lock()
    names = [user(i) for i in range(1, n + 1)]
    go = threading.Barrier(n + 1)
    log_start = hub.log_path.stat().st_size
    threads = [
        threading.Thread(
            target=user_start, args=(hub.public_url, name, tokens[name], go, out, lock)
        )
        for name in names
    ]
    for thread in threads:
        thread.start()
    before = cputime.snapshot(hub.process.pid)
    go.wait()
    for thread in threads:
        thread.join()
    containers, ids = 0.0, []
    for name in names:
        try:
            cid, pid = container_pid(client, prefix, name)
            containers += cputime.container_cpu(pid)
            ids.append(cid)
        except (docker.errors.NotFound, OSError, RuntimeError):
            pass
    out.cpu = cputime.between(before, cputime.snapshot(hub.process.pid), containers, ids)
    with hub.log_path.open("rb") as log:
        log.seek(log_start)
        out.hub_log = log.read().decode(errors="replace")
    admin = httpx.Client(
        base_url=hub.api_url,
        headers={"Authorization": f"token {hub.token}"},
        timeout=120,
    )
    for name in names:
        admin.delete(f"/users/{name}/servers/{PROJECT}")
    for name in names:
        wait(lambda name=name: not server_state(admin, name), 120, 0.2)  # type: ignore[misc]
    admin.close()
    return out


def spread(values: list[float]) -> str:
    if not values:
        return "-"  # every start of this N failed
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="single starts, one after another")
    parser.add_argument("--concurrent", type=int, nargs="+", default=[1, 10, 20])
    parser.add_argument("--rounds", type=int, default=1, help="repeats of the concurrent part")
    parser.add_argument("--image", default=os.environ.get("TRE_WORKSPACE_IMAGE", "tre-workspace"))
    args = parser.parse_args()
    image = args.image if ":" in args.image else f"{args.image}:latest"
    cores = os.cpu_count() or 1

    from tre.config import load_settings
    from tre.workspace.hub import HubOptions

    client = docker.from_env()
    if not client.images.list(name=image):
        sys.exit(f"image {image} is missing: run `tre image build` first")
    tag = secrets.token_hex(3)
    prefix = f"tre-b-{tag}"
    users = [user(i) for i in range(1, max(args.concurrent) + 1)]
    with tempfile.TemporaryDirectory(prefix="tre-bench-spawn-") as tmp:
        home = Path(tmp) / "home"
        os.environ.update(
            TRE_HOME=str(home),
            TRE_HUB_PORT=str(free_port()),
            TRE_WORKSPACE_IMAGE=image,
            PYTHONPATH=f"{BENCH_DIR}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        )
        settings = load_settings(home=home)
        make_extract(settings.extracts_path)
        options = HubOptions(
            gateway="",
            network_name=f"tre-b-{tag}",
            hub_api_port=free_port(),
            proxy_api_port=free_port(),
            gate_port=free_port(),
            auth="shared-password",
            shared_password=secrets.token_hex(8),
            container_prefix=prefix,
            container_labels=dict(LABELS),
            operator_interval_seconds=3600,
            access_check="spawn_access:start_reasons",
            portal=False,
        )
        hub_times: list[float] = []
        cpu_singles: list[cputime.StartCpu] = []
        run_times: list[float] = []
        server_times: list[float] = []
        bursts: dict[int, list[Burst]] = {n: [] for n in args.concurrent}
        try:
            with running_hub(settings, options, network_labels=dict(LABELS)) as hub:
                http = httpx.Client(headers={"Authorization": f"token {hub.token}"}, timeout=60)
                tokens = {}
                for name in users:
                    http.post(f"{hub.api_url}/users/{name}").raise_for_status()
                    resp = http.post(
                        f"{hub.api_url}/users/{name}/tokens", json={"expires_in": 7200}
                    )
                    tokens[name] = str(resp.raise_for_status().json()["token"])
                hub_pid = hub.process.pid
                hub_spawn(hub.api_url, hub.token, hub_pid, client, prefix)  # warm-up
                bare_server(client, image)
                for _ in range(args.runs):
                    elapsed, used = hub_spawn(hub.api_url, hub.token, hub_pid, client, prefix)
                    hub_times.append(elapsed)
                    cpu_singles.append(used)
                    run_times.append(bare_run(image))
                    server_times.append(bare_server(client, image))
                log = hub.log_tail(4000)
                for _round in range(args.rounds):
                    for n in args.concurrent:
                        bursts[n].append(burst(hub, client, prefix, tokens, n))
        finally:
            remove_containers(client, LABELS)
            for net in client.networks.list(filters={"label": "tre.bench=1"}):
                from tre.workspace import network

                network.teardown(client, net.name)
    report_singles(image, args.runs, hub_times, run_times, server_times, log)
    single_cpu = report_cpu(cpu_singles)
    results = report_bursts(bursts, single_cpu, cores)
    worst = max(args.concurrent)
    result = {
        "single_hub_median_s": round(median(hub_times), 3),
        "bare_server_median_s": round(median(server_times), 3),
        "single_start_cpu_s": round(single_cpu, 3),
        "concurrent": results,
        "ratio": results[str(worst)]["p95_over_floor"],
        "target": TARGET_FLOOR_RATIO,
    }
    print("bench-result: " + json.dumps(result))


def report_singles(
    image: str,
    runs: int,
    hub_times: list[float],
    run_times: list[float],
    server_times: list[float],
    log: str,
) -> None:
    import_total, profile = import_profile(image)
    breakdown = spawn_breakdown(log)
    hub_median, run_median, server_median = map(median, (hub_times, run_times, server_times))
    print(f"== one start at a time: runs: {runs}  image: {image}")
    print("hub start-to-ready  (s): " + " ".join(f"{t:.2f}" for t in hub_times))
    print("bare jupyter server (s): " + " ".join(f"{t:.2f}" for t in server_times))
    print("bare docker run true(s): " + " ".join(f"{t:.2f}" for t in run_times))
    print(f"median hub start-to-ready:     {hub_median:.2f} s (target <= {TARGET_SECONDS:.0f} s)")
    print(f"median bare jupyter server:    {server_median:.2f} s")
    print(f"median bare `docker run true`: {run_median:.2f} s")
    print(f"hub / bare docker run: {hub_median / run_median:.1f}")
    print(f"hub / bare jupyter server: {hub_median / server_median:.2f}")
    print("where a hub start goes (medians, s):")
    labels = {
        "check": "policy check, host directories",
        "container": "container create + start, default route removed",
        "server": "Jupyter server start until its API answers",
        "hub": "hub: whole spawn incl. proxy route and readiness check",
    }
    for key, label in labels.items():
        if key in breakdown:
            print(f"  {breakdown[key]:6.2f}  {label}")
    print(
        f"  {import_total:6.2f}  importing jupyterhub.singleuser in the image "
        "(one cold `python -X importtime` run, for orientation)"
    )
    print("  slowest modules by own import time:")
    for seconds, name in profile:
        print(f"    {seconds:6.3f}  {name}")


def report_cpu(singles: list[cputime.StartCpu]) -> float:
    """Print the CPU of one start by place; return the median total."""
    print("CPU seconds of one start (medians):")
    for key in ("containers", "hub", "shims", "engine"):
        print(f"  {median([getattr(c, key) for c in singles]):6.3f}  {key}")
    total = median([c.total for c in singles])
    print(f"  {total:6.3f}  total (runs: " + " ".join(f"{c.total:.2f}" for c in singles) + ")")
    return total


def report_bursts(
    bursts: dict[int, list[Burst]], single_cpu: float, cores: int
) -> dict[str, dict[str, float]]:
    rounds = len(next(iter(bursts.values())))
    print(
        f"== N starts at once, through the proxy, polled every {POLL_SECONDS} s; rounds: {rounds}"
    )
    print(
        f"CPU floor = N x {single_cpu:.2f} s (one start's CPU) / {cores} cores; "
        "figures: median over rounds (min-max)"
    )
    header = f"{'N':>3} {'p50 s':>17} {'p95 s':>17} {'max s':>17} {'fail':>4} {'floor s':>7}"
    print(header + f" {'p95/floor':>17} {'CPU/start s':>17} {'container step s':>17}")
    results: dict[str, dict[str, float]] = {}
    for n, runs in bursts.items():
        floor = n * single_cpu / cores
        p50 = [median(b.times) for b in runs if b.times]
        p95 = [percentile(b.times, 95) for b in runs if b.times]
        top = [max(b.times) for b in runs if b.times]
        failures = sum(len(b.failures) for b in runs)
        ratio = [p / floor for p in p95]
        cpu = [b.cpu.total / n for b in runs]
        step = [spawn_breakdown(b.hub_log, skip_first=False).get("container", 0.0) for b in runs]
        print(
            f"{n:>3} {spread(p50):>17} {spread(p95):>17} {spread(top):>17} {failures:>4}"
            f" {floor:>7.2f} {spread(ratio):>17} {spread(cpu):>17} {spread(step):>17}"
        )
        for b in runs:
            for failure in b.failures:
                print(f"    failure: {failure}")
        results[str(n)] = {
            "p50_s": round(median(p50), 3) if p50 else -1,
            "p95_s": round(median(p95), 3) if p95 else -1,
            "max_s": round(median(top), 3) if top else -1,
            "failures": failures,
            "floor_s": round(floor, 3),
            "p95_over_floor": round(median(ratio), 3) if ratio else -1,
        }
    worst = max(bursts)
    print(
        f"ratio: {results[str(worst)]['p95_over_floor']:.2f} "
        f"(target <= {TARGET_FLOOR_RATIO}; p95 at {worst} at once / CPU floor)"
    )
    return results


if __name__ == "__main__":
    main()
