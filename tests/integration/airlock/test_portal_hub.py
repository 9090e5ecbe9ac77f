"""The portal as a JupyterHub managed service: sign-in through the hub's OAuth (HubOAuth).

Runs a real JupyterHub (shared-password authenticator, the TRE's proxy) on loopback
with the portal started by the hub as the service `portal`, exactly as in production.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tre.config import Settings
from tre.workspace.proxy import proxy_command

World = tuple[Settings, str]
PASSWORD = "correct-horse-battery"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def hub(sqlite_world: World, tmp_path: Path) -> Iterator[str]:
    settings, _project = sqlite_world
    proxy = proxy_command(settings)[0]  # the hub's own proxy, as `tre up` runs it
    port, hub_port, api_port, portal_port = _port(), _port(), _port(), _port()
    hub_dir = tmp_path / "hub"
    hub_dir.mkdir()
    (hub_dir / "jupyterhub_config.py").write_text(
        f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.JupyterHub.db_url = "sqlite:///{hub_dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{hub_dir}/cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "{hub_dir}/proxy.pid"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = "{PASSWORD}"
c.Authenticator.allow_all = True
c.JupyterHub.load_roles = [{{"name": "user", "scopes": ["self", "access:services"]}}]
c.JupyterHub.services = [{{
    "name": "portal",
    "url": "http://127.0.0.1:{portal_port}",
    "command": [{sys.executable!r}, "-m", "uvicorn", "--factory", "tre.web.app:create_app",
                "--host=127.0.0.1", "--port={portal_port}"],
    "environment": {{"TRE_HOME": {str(settings.home_path)!r}}},
    "oauth_no_confirm": True,
}}]
"""
    )
    log = (hub_dir / "hub.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(hub_dir / "jupyterhub_config.py")],
        cwd=hub_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/services/portal/register", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail(
                "hub or portal did not start:\n" + (hub_dir / "hub.log").read_text()[-3000:]
            )
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_sign_in_through_the_hub(hub: str) -> None:
    with httpx.Client(follow_redirects=True, timeout=30) as client:
        form = client.get(f"{hub}/hub/login").text
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form)
        data = {"username": "lena", "password": PASSWORD}
        if xsrf:
            data["_xsrf"] = xsrf.group(1)
        client.post(f"{hub}/hub/login", data=data)
        page = client.get(f"{hub}/services/portal/requests")
        assert page.status_code == 200, page.text[:500]
        assert 'id="whoami">lena<' in page.text
        assert str(page.url).endswith("/services/portal/requests")
        assert "TEST-ONLY" not in page.text  # the test sign-in stays off


def test_no_sign_in_without_the_hub(hub: str) -> None:
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        first = client.get(f"{hub}/services/portal/requests")
        assert first.status_code == 303
        assert "/services/portal/login" in first.headers["location"]
        assert (
            client.post(f"{hub}/services/portal/test-login", data={"username": "ada"}).status_code
            == 404
        )
