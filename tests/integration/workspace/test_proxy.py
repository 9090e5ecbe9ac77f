"""The hub's proxy, as `tre up` runs it: forwards requests at once, listens only where it should.

The proxy carries every request from a browser (sign-in, portal, each JupyterLab) and every
status poll. The test sends 20 requests at once to a back end that answers none until all 20
have arrived: a proxy that forwards a limited number at a time never lets them all through.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from ws_hub import HubEnv

from tre.workspace.hub import hub_dir
from tre.workspace.proxy import LOCKED_PROXY

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(300)]

AT_ONCE = 20


def cmdline(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


def proxy_pid(env: HubEnv) -> int:
    """The proxy process the hub started (a child of the hub)."""
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(env.hub.process.pid)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found = [
        int(pid) for pid in children if b"configurable-http-proxy" in b" ".join(cmdline(int(pid)))
    ]
    assert len(found) == 1, children
    return found[0]


def test_the_proxy_is_the_locked_node_proxy(hub_env: HubEnv) -> None:
    args = cmdline(proxy_pid(hub_env))
    assert b"node" in args[0]
    assert str(LOCKED_PROXY).encode() in args


def test_the_proxy_listens_only_on_the_hub_address_and_its_api_on_loopback(
    hub_env: HubEnv,
) -> None:
    pid = proxy_pid(hub_env)
    lines = subprocess.run(
        ["ss", "-H", "-ltnp"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    listening = {line.split()[3] for line in lines if f"pid={pid}," in line}
    settings = hub_env.settings
    assert listening == {
        f"{settings.hub_ip}:{settings.hub_port}",
        f"127.0.0.1:{hub_env.hub.options.proxy_api_port}",
    }


def test_the_proxy_api_needs_the_hubs_token(hub_env: HubEnv) -> None:
    api = f"http://127.0.0.1:{hub_env.hub.options.proxy_api_port}/api/routes"
    token = (hub_dir(hub_env.settings) / "proxy.token").read_text().strip()
    assert httpx.get(api, timeout=10).status_code == 403
    assert httpx.get(api, headers={"Authorization": "token wrong"}, timeout=10).status_code == 403
    routes = httpx.get(api, headers={"Authorization": f"token {token}"}, timeout=10)
    assert routes.status_code == 200
    assert "/" in routes.json()  # the hub's own route, added by the hub through this API


@pytest.fixture
def gathering_backend() -> Iterator[str]:
    """A loopback server that answers only once AT_ONCE requests are inside it together."""
    everyone = threading.Barrier(AT_ONCE, timeout=60)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                everyone.wait()
                status = 200
            except threading.BrokenBarrierError:
                status = 504
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_proxy_forwards_many_requests_at_once(hub_env: HubEnv, gathering_backend: str) -> None:
    api = f"http://127.0.0.1:{hub_env.hub.options.proxy_api_port}/api/routes/tre-test-gather"
    token = (hub_dir(hub_env.settings) / "proxy.token").read_text().strip()
    headers = {"Authorization": f"token {token}"}
    httpx.post(api, headers=headers, json={"target": gathering_backend}, timeout=10)
    statuses: list[int] = []
    try:

        def one() -> None:
            resp = httpx.get(f"{hub_env.hub.public_url}/tre-test-gather/", timeout=120)
            statuses.append(resp.status_code)

        threads = [threading.Thread(target=one) for _ in range(AT_ONCE)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        httpx.delete(api, headers=headers, timeout=10)
    assert statuses == [200] * AT_ONCE
