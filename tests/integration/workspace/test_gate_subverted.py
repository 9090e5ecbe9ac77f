"""The gate holds whatever answers on port 8888 of a workspace container.

A container of the workspace image runs `analyst_server.py` (an analyst's program in place of
the Jupyter server: what a kernel that traces or replaces the server process achieves) on a
throw-away internal network, labelled as mallory's p-9 workspace. The real gate
(`tre.workspace.gate.server.create_app`) finds it through the Docker engine, builds the
image's static manifest by running the image, and writes usage records to a real control
database. Every attack must fail at the gate: the program's data never reaches the client,
and closed routes never reach the program.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websocket
from sqlalchemy import select
from ws_hub import HERE, TEST_LABEL_FILTER, TEST_LABELS, free_port

from tre.db import session_scope
from tre.db.models import AuditEvent
from tre.workspace.gate.upstream import PROJECT_LABEL, USER_LABEL
from tre.workspace.transfer import KIB

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

IMAGE = os.environ.get("TRE_TEST_WORKSPACE_IMAGE", "tre-workspace:latest")
MARKER = "stolen-7d2e"  # what analyst_server.py hands out
BURST = 256 * KIB
RATE = 256 * KIB


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import docker
    from aiohttp import web

    from tre.cli.init import initialise
    from tre.config import load_settings
    from tre.workspace import network
    from tre.workspace.gate.server import create_app

    client = docker.from_env()
    home = tmp_path_factory.mktemp("gate") / "tre-home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TRE_HOME", str(home))
        monkeypatch.setenv("TRE_WORKSPACE_OUTPUT_BURST_BYTES", str(BURST))
        monkeypatch.setenv("TRE_WORKSPACE_OUTPUT_RATE_BYTES", str(RATE))
        monkeypatch.setenv("TRE_WORKSPACE_IMAGE", IMAGE)
        settings = load_settings()
        initialise(settings)
        net_name = f"tre-g-{secrets.token_hex(3)}"
        network.ensure_network(client, net_name, labels=dict(TEST_LABELS))
        container = client.containers.run(
            IMAGE,
            ["python", "/analyst/analyst_server.py"],
            detach=True,
            network=net_name,
            labels={USER_LABEL: "mallory", PROJECT_LABEL: "p-9", **TEST_LABELS},
            volumes={str(HERE): {"bind": "/analyst", "mode": "ro"}},
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
        )
        app = create_app(settings, client, net_name, dict(TEST_LABELS))
        port = free_port()
        # The gate's event loop lives in its own thread: the main thread may already have one
        # (Playwright's sync API keeps its loop running there for the whole session).
        ready = threading.Event()
        loops: list[asyncio.AbstractEventLoop] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            runner = web.AppRunner(app)
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
            loops.append(loop)
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        assert ready.wait(60), "the gate did not start"
        base = f"http://127.0.0.1:{port}/user/mallory/p-9"
        try:
            _wait_answering(base)
            yield {"base": base, "container": container, "settings": settings}
        finally:
            loops[0].call_soon_threadsafe(loops[0].stop)
            thread.join(timeout=60)
            for leftover in client.containers.list(all=True, filters={"label": TEST_LABEL_FILTER}):
                leftover.remove(force=True)
            network.teardown(client, net_name)
            client.close()


def _wait_answering(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if httpx.get(f"{base}/api/me", timeout=10).status_code == 200:
            return
        time.sleep(0.3)
    raise AssertionError("the analyst's program did not answer through the gate")


def seen(world: dict[str, Any]) -> str:
    code, out = world["container"].exec_run(["cat", "/tmp/seen.log"])
    return out.decode() if code == 0 else ""


def refusals(world: dict[str, Any], *reasons: str) -> list[dict[str, Any]]:
    """The refusal records, once those with each of `reasons` are written (asynchronously)."""
    deadline = time.monotonic() + 30
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        with session_scope(world["settings"]) as session:
            rows = session.execute(
                select(AuditEvent).where(AuditEvent.action == "workspace.refused")
            ).scalars()
            found = [json.loads(event.body) for event in rows]
        if found and set(reasons) <= {r["reason"] for r in found}:
            return found
        time.sleep(0.3)
    return found


def test_closed_routes_never_reach_the_server(world: dict[str, Any]) -> None:
    base = world["base"]
    attempts = [
        ("GET", "/files/rows.csv"),
        ("GET", "/view/rows.csv"),
        ("GET", "/nbconvert/html/a.ipynb"),
        ("POST", "/api/terminals"),
        ("GET", "/api/config/notebook"),
        ("GET", "/metrics"),
        ("GET", "/api/contents/rows.csv?content=1&format=base64"),
        ("GET", "/api/contents/a.py/%2e%2e/rows.csv"),
        ("GET", "/kernelspecs/python3/rows.csv"),
        ("POST", "/lab/api/extensions"),
    ]
    for method, path in attempts:
        resp = httpx.request(method, base + path, timeout=30)
        assert resp.status_code in (400, 403), path
        assert MARKER not in resp.text, path
    log = seen(world)
    for fragment in ("/files/", "/view/", "/nbconvert/", "terminals", "api/config", "metrics",
                     "format=base64", "rows.csv", "extensions"):  # fmt: skip
        assert fragment not in log, fragment


def test_file_content_is_held_to_kind_and_cap(world: dict[str, Any]) -> None:
    base = world["base"]
    for path in ("rows.csv", "big.py", "huge.ipynb", "dir"):
        resp = httpx.get(f"{base}/api/contents/{path}", timeout=60)
        assert resp.status_code == 403, path
        assert MARKER not in resp.text, path
    assert f"/api/contents/{'huge.ipynb'}" in seen(world)  # it was asked, and answered 30 MiB
    small = httpx.get(f"{base}/api/contents/small.py", timeout=30)
    assert small.status_code == 200
    assert small.json()["content"] == "print('hello')\n"
    wanted = ("file-type", "too-large", "listing-with-content")
    assert set(wanted) <= {r["reason"] for r in refusals(world, *wanted)}


def test_other_routes_are_capped_and_headers_filtered(world: dict[str, Any]) -> None:
    base = world["base"]
    status = httpx.get(f"{base}/api/status", timeout=60)
    assert status.status_code == 502
    assert MARKER not in status.text
    me = httpx.get(f"{base}/api/me", timeout=30)
    assert me.status_code == 200
    assert "content-disposition" not in me.headers
    assert "x-data" not in me.headers


def test_static_files_must_be_the_images_own(world: dict[str, Any]) -> None:
    from tre.workspace.gate.statics import MANIFEST_SCRIPT

    base = world["base"]
    code, out = world["container"].exec_run(["python", "-c", MANIFEST_SCRIPT], user="1000")
    assert code == 0
    manifest = json.loads(out)
    genuine = next(k for k in manifest if k.startswith("static/lab/main."))
    other = next(k for k in manifest if k.startswith("static/lab/") and k != genuine)
    served = httpx.get(f"{base}/{genuine}", timeout=60)
    assert served.status_code == 200
    assert len(served.content) == manifest[genuine][0]
    altered = httpx.get(f"{base}/{other}", timeout=60)
    assert altered.status_code == 502
    assert MARKER not in altered.text
    invented = httpx.get(f"{base}/static/lab/rows.js", timeout=30)
    assert invented.status_code == 404
    assert "/static/lab/rows.js" not in seen(world)  # not in the image: never asked
    wanted = ("altered-static", "not-in-image")
    assert set(wanted) <= {r["reason"] for r in refusals(world, *wanted)}


def test_kernel_frames_are_paced_and_an_oversized_one_closes(world: dict[str, Any]) -> None:
    url = world["base"].replace("http://", "ws://") + (
        "/api/kernels/00000000-0000-0000-0000-000000000000/channels"
    )
    ws = websocket.create_connection(url, timeout=60)
    received = 0
    began = time.monotonic()
    try:
        while True:
            frame = ws.recv()
            if not frame:
                break
            assert len(frame) <= 64 * KIB
            received += len(frame)
            elapsed = time.monotonic() - began
            # Never faster than the burst plus the rate for the time so far.
            assert received <= BURST + RATE * elapsed + 64 * KIB
    except websocket.WebSocketConnectionClosedException:
        pass
    finally:
        ws.close()
    assert received == 24 * 64 * KIB  # every small frame arrived; the 3 MiB one did not
    assert "output-too-large" in {r["reason"] for r in refusals(world, "output-too-large")}


def test_usage_records_name_the_workspace_never_the_content(world: dict[str, Any]) -> None:
    found = refusals(world)
    assert found
    assert all(r["user"] == "mallory" and r["project"] == "p-9" for r in found)
    assert MARKER not in json.dumps(found)
    assert Path(world["settings"].home_path / "hub" / "static-manifests").is_dir()
