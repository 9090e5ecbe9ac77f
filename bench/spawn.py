"""Benchmark: start-to-ready of a project workspace through the hub vs a bare `docker run`.

Starts a real JupyterHub with TreSpawner (internal network, packet filter, policy check,
mounts, default route removed) in a throw-away TRE_HOME, then, `--runs` times:
- hub: POST /users/bench/servers/p-1, poll the REST API until the server is ready, DELETE;
- bare container: `docker run --rm IMAGE true` (container start and exit only);
- bare server: `docker run -d IMAGE jupyter server ...` on the default bridge, polled until its
  API answers, then removed (the same image's Jupyter server, no hub, no isolation).
Prints the medians, the ratio hub / bare server (the apples-to-apples figure), the ratio
hub / bare container, and where the time goes (imports inside the container, hub log).
Everything it creates is labelled `tre.bench=1` and removed.

    python bench/spawn.py [--runs 5] [--image tre-workspace:latest]
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
import time
from collections.abc import Callable
from pathlib import Path

import docker
import duckdb
import httpx

BENCH_DIR = Path(__file__).resolve().parent
LABELS = {"tre.bench": "1"}
USER, PROJECT = "bench", "p-1"
TARGET_SECONDS = 3.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def hub_spawn(api: str, token: str) -> float:
    """Seconds from the start request to the hub reporting the server ready."""
    http = httpx.Client(base_url=api, headers={"Authorization": f"token {token}"}, timeout=120)

    def state() -> dict[str, object]:
        servers = http.get(f"/users/{USER}").json().get("servers") or {}
        return dict(servers.get(PROJECT) or {})

    t0 = time.perf_counter()
    resp = http.post(f"/users/{USER}/servers/{PROJECT}")
    if resp.status_code not in (201, 202):
        raise RuntimeError(f"start refused: {resp.status_code} {resp.text[:300]}")
    wait(lambda: bool(state().get("ready")), 120)
    elapsed = time.perf_counter() - t0
    http.delete(f"/users/{USER}/servers/{PROJECT}").raise_for_status()
    wait(lambda: not state(), 60, 0.1)
    http.close()
    return elapsed


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


def spawn_breakdown(log: str) -> dict[str, float]:
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
    return {k: statistics.median(v[1:] or v) for k, v in parts.items() if v}


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--image", default=os.environ.get("TRE_WORKSPACE_IMAGE", "tre-workspace"))
    args = parser.parse_args()
    image = args.image if ":" in args.image else f"{args.image}:latest"

    from tre.config import load_settings
    from tre.workspace.hub import HubOptions
    from tre.workspace.launcher import remove_containers, running_hub

    client = docker.from_env()
    if not client.images.list(name=image):
        sys.exit(f"image {image} is missing: run `tre image build` first")
    tag = secrets.token_hex(3)
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
            container_prefix=f"tre-b-{tag}",
            container_labels=dict(LABELS),
            operator_interval_seconds=3600,
            access_check="spawn_access:start_reasons",
            portal=False,
        )
        hub_times: list[float] = []
        run_times: list[float] = []
        server_times: list[float] = []
        try:
            with running_hub(settings, options, network_labels=dict(LABELS)) as hub:
                http = httpx.Client(headers={"Authorization": f"token {hub.token}"})
                http.post(f"{hub.api_url}/users/{USER}").raise_for_status()
                hub_spawn(hub.api_url, hub.token)  # warm-up: page cache, first mounts
                bare_server(client, image)
                for _ in range(args.runs):
                    hub_times.append(hub_spawn(hub.api_url, hub.token))
                    run_times.append(bare_run(image))
                    server_times.append(bare_server(client, image))
                log = hub.log_tail(4000)
        finally:
            remove_containers(client, LABELS)
            for net in client.networks.list(filters={"label": "tre.bench=1"}):
                from tre.workspace import network

                network.teardown(client, net.name)
    import_total, profile = import_profile(image)
    breakdown = spawn_breakdown(log)
    hub_median, run_median, server_median = map(median, (hub_times, run_times, server_times))
    print(f"runs: {args.runs}  image: {image}")
    print("hub start-to-ready  (s): " + " ".join(f"{t:.2f}" for t in hub_times))
    print("bare jupyter server (s): " + " ".join(f"{t:.2f}" for t in server_times))
    print("bare docker run true(s): " + " ".join(f"{t:.2f}" for t in run_times))
    print(f"median hub start-to-ready:     {hub_median:.2f} s (target <= {TARGET_SECONDS:.0f} s)")
    print(f"median bare jupyter server:    {server_median:.2f} s")
    print(f"median bare `docker run true`: {run_median:.2f} s")
    print(f"hub / bare docker run: {hub_median / run_median:.1f}")
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
    print(f"ratio: {hub_median / server_median:.2f} (hub / bare jupyter server)")
    result = {
        "hub_median_s": round(hub_median, 3),
        "bare_server_median_s": round(server_median, 3),
        "bare_run_median_s": round(run_median, 3),
        "ratio": round(hub_median / server_median, 3),
    }
    print("bench-result: " + json.dumps(result))


if __name__ == "__main__":
    main()
