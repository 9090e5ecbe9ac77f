"""Benchmark: what the workspace gate adds to JupyterLab's requests.

Runs a workspace image's Jupyter server in a container on a throw-away internal network (as the
hub does, labelled as a workspace), and the gate as its own process (`python -m
tre.workspace.gate`, as the hub runs it) on 127.0.0.1. Then, for each kind of request
JupyterLab makes, times `--runs` requests straight to the container (the baseline) and the same
through the gate, in the same run, alternating:

- `api`: GET /api/status (a small JSON answer: most of JupyterLab's polling);
- `text`: GET /api/contents/<a 200 KiB .py file>?content=1 (opening a code file);
- `notebook`: GET /api/contents/<a 4 MiB notebook>?content=1 (opening a large notebook);
- `static`: GET /static/lab/<JupyterLab's largest bundle, 2.5 MB> (hash-checked by the gate);
- `kernel`: one `execute_request` of `1` over the kernel websocket, until idle.

Prints medians, the added milliseconds and the ratio gate / direct for each. The meters are
set wide open (1 GiB bursts) so that the figures are the gate's own cost, not its pacing.
Everything it creates is labelled `tre.bench=1` and removed.

    python bench/gate.py [--runs 50] [--image tre-workspace:latest]
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
import uuid
from collections.abc import Callable
from pathlib import Path

import docker
import httpx
import websocket

LABELS = {"tre.bench": "1"}
TOKEN = "bench-token"
PREFIX = "/user/bench/p-1"
GIB = 1024**3
# Files the server opens: a 200 KiB code file and a 4 MB notebook.
SETUP = """
import json
open('/home/jovyan/code.py', 'w').write('x = 1  # padding\\n' * 12800)
output = {'output_type': 'stream', 'name': 'stdout', 'text': 'y' * 4000000}
cell = {'cell_type': 'code', 'metadata': {}, 'execution_count': 1, 'source': 'print(1)',
        'outputs': [output]}
nb = {'cells': [cell], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
json.dump(nb, open('/home/jovyan/big.ipynb', 'w'))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not answer in {timeout:.0f} s")


def execute(ws: websocket.WebSocket) -> None:
    """Run `1` in the kernel; return when it is idle again."""
    msg_id = uuid.uuid4().hex
    header = {
        "msg_id": msg_id,
        "msg_type": "execute_request",
        "username": "bench",
        "session": uuid.uuid4().hex,
        "version": "5.3",
    }
    content = {"code": "1", "silent": False, "store_history": False}
    ws.send(json.dumps({"header": header, "parent_header": {}, "metadata": {},
                        "channel": "shell", "content": content}))  # fmt: skip
    while True:
        msg = json.loads(ws.recv())
        if (
            msg.get("parent_header", {}).get("msg_id") == msg_id
            and msg["msg_type"] == "status"
            and msg["content"]["execution_state"] == "idle"
        ):
            return


def _ok(resp: httpx.Response) -> None:
    if resp.status_code != 200:
        raise SystemExit(f"{resp.request.url.path} answered {resp.status_code}: {resp.text[:200]}")


def start_server(client: docker.DockerClient, image: str, net_name: str) -> tuple[str, str]:
    """The image's Jupyter server in a labelled container: its direct base URL, and the name
    of JupyterLab's largest bundle in it."""
    from tre.workspace.gate.upstream import PROJECT_LABEL, USER_LABEL
    from tre.workspace.spawner import workspace_environment

    serve = (f"jupyter lab --ip=0.0.0.0 --port=8888 --no-browser --ServerApp.token={TOKEN} "
             f"--ServerApp.base_url={PREFIX}/")  # fmt: skip
    container = client.containers.run(
        image,
        ["sh", "-c", f'python -c "$SETUP" && exec {serve}'],
        detach=True,
        network=net_name,
        environment={**workspace_environment("en", "p-1"), "SETUP": SETUP},
        labels={USER_LABEL: "bench", PROJECT_LABEL: "p-1", **LABELS},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
    )
    container.reload()
    ip = container.attrs["NetworkSettings"]["Networks"][net_name]["IPAddress"]
    _code, out = container.exec_run(["ls", "/opt/tre/share/jupyter/lab/static"])
    core = next(name for name in out.decode().split() if name.startswith("jlab_core."))
    return f"http://{ip}:8888{PREFIX}", core


def measure(
    cases: dict[str, Callable[[str], None]], direct: str, gated: str, runs: int
) -> dict[str, tuple[float, float]]:
    """Median seconds (direct, gate) per case, the two alternating request by request."""
    results = {}
    for name, case in cases.items():
        times: dict[str, list[float]] = {direct: [], gated: []}
        for _ in range(runs):
            for base in (direct, gated):
                began = time.perf_counter()
                case(base)
                times[base].append(time.perf_counter() - began)
        d, g = statistics.median(times[direct]), statistics.median(times[gated])
        results[name] = (d, g)
        print(f"{name:9s} direct {d * 1000:8.2f} ms  gate {g * 1000:8.2f} ms  "
              f"added {(g - d) * 1000:7.2f} ms  ratio {g / d:5.2f}")  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--image", default=os.environ.get("TRE_WORKSPACE_IMAGE", "tre-workspace:latest")
    )
    args = parser.parse_args()

    from tre.cli.init import initialise
    from tre.config import load_settings
    from tre.workspace import network

    client = docker.from_env()
    work = Path(tempfile.mkdtemp(prefix="tre-bench-gate-"))
    os.environ.update({
        "TRE_HOME": str(work / "tre-home"),
        "TRE_WORKSPACE_IMAGE": args.image,
        "TRE_WORKSPACE_TRANSFER_BURST_BYTES": str(GIB),
        "TRE_WORKSPACE_OUTPUT_BURST_BYTES": str(GIB),
    })  # fmt: skip
    initialise(load_settings())
    net_name = f"tre-bench-{secrets.token_hex(3)}"
    network.ensure_network(client, net_name, labels=LABELS)
    gate = None
    print(f"load average (1 min) at the start: {os.getloadavg()[0]:.2f}")
    try:
        direct, core = start_server(client, args.image, net_name)
        port = free_port()
        gate = subprocess.Popen(
            [sys.executable, "-m", "tre.workspace.gate", f"--port={port}",
             f"--network={net_name}", "--label=tre.bench=1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        gated = f"http://127.0.0.1:{port}{PREFIX}"
        headers = {"Authorization": f"token {TOKEN}"}
        with httpx.Client(headers=headers, timeout=120) as http:
            wait(lambda: http.get(f"{direct}/api/status").status_code == 200, 120, "the server")
            wait(lambda: http.get(f"{gated}/api/status").status_code == 200, 60, "the gate")

            def get(path: str) -> Callable[[str], None]:
                return lambda base: _ok(http.get(base + path))

            cases = {
                "api": get("/api/status"),
                "text": get("/api/contents/code.py?content=1"),
                "notebook": get("/api/contents/big.ipynb?content=1"),
                "static": get(f"/static/lab/{core}"),
            }
            for base in (direct, gated):  # warm: the gate's manifest and connection pools
                for case in cases.values():
                    case(base)
            kernel_id = http.post(f"{direct}/api/kernels", json={}).json()["id"]
            sockets = {
                base: websocket.create_connection(
                    base.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels",
                    header=[f"Authorization: token {TOKEN}"],
                    timeout=60,
                )
                for base in (direct, gated)
            }
            cases["kernel"] = lambda base: execute(sockets[base])
            results = measure(cases, direct, gated, args.runs)
            for ws in sockets.values():
                ws.close()
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
        d, g = results["text"]
        print("bench-result: " + json.dumps({
            "name": "gate",
            "ratio": round(g / d, 2),
            "ratios": {k: round(v[1] / v[0], 2) for k, v in results.items()},
            "added_ms": {k: round((v[1] - v[0]) * 1000, 2) for k, v in results.items()},
        }))  # fmt: skip
    finally:
        if gate is not None:
            gate.terminate()
            gate.wait(timeout=30)
        for leftover in client.containers.list(all=True, filters={"label": "tre.bench=1"}):
            leftover.remove(force=True)
        network.teardown(client, net_name)
        client.close()


if __name__ == "__main__":
    main()
