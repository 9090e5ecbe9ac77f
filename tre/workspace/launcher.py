"""Run a JupyterHub for the TRE and clean up everything it started, whatever happens.

`running_hub(settings, options)` is a context manager used by `tre up`, the integration tests
and the spawn benchmark: it creates the workspace network and its packet filter, writes the hub
config, starts `jupyterhub`, waits until its API answers, and on exit stops the hub (which
stops its servers), removes any container left with its labels, the packet filter and the
network. With `with_docker=False` (no engine answers) the hub runs without a workspace network,
its API on loopback: people can still sign in and use the portal; a start then explains that
workspaces need a Docker engine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

import docker
import httpx

from tre.config import Settings
from tre.workspace import network
from tre.workspace.hub import HubOptions, hub_dir, operator_token, write_config
from tre.workspace.proxy import proxy_command


@dataclass
class RunningHub:
    process: subprocess.Popen[bytes]
    options: HubOptions
    public_url: str
    api_url: str
    token: str
    log_path: Path

    def log_tail(self, lines: int = 80) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _jupyterhub() -> str:
    local = Path(sys.executable).parent / "jupyterhub"
    return str(local) if local.exists() else "jupyterhub"


def remove_containers(client: docker.DockerClient, labels: dict[str, str]) -> None:
    filters = {"label": [f"{k}={v}" for k, v in labels.items()] or ["tre.workspace=1"]}
    for container in client.containers.list(all=True, filters=filters):
        with suppress(docker.errors.APIError):
            container.remove(force=True)


@contextmanager
def running_hub(
    settings: Settings,
    options: HubOptions,
    *,
    network_labels: dict[str, str] | None = None,
    subnet: str | None = None,
    ready_timeout: float = 60,
    with_docker: bool = True,
) -> Iterator[RunningHub]:
    proxy_command(settings)  # a missing proxy is said here, before anything is created
    client = docker.from_env() if with_docker else None
    if client is not None:
        net = network.setup(
            client,
            options.network_name,
            options.hub_api_port,
            subnet=subnet,
            labels=network_labels,
        )
        gateway = net.gateway
    else:
        gateway = "127.0.0.1"
    options = replace(options, gateway=gateway, tre_home=str(settings.home_path))
    config = write_config(settings, options)
    log_path = hub_dir(settings) / "jupyterhub.log"
    env = {**os.environ, "TRE_HOME": str(settings.home_path)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    labels = {"tre.workspace": "1", **options.container_labels}
    process: subprocess.Popen[bytes] | None = None
    try:
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [_jupyterhub(), "-f", str(config)],
                cwd=hub_dir(settings),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        hub = RunningHub(
            process=process,
            options=options,
            public_url=f"http://{settings.hub_ip}:{settings.hub_port}",
            api_url=f"http://{gateway}:{options.hub_api_port}/hub/api",
            token=operator_token(settings),
            log_path=log_path,
        )
        _wait_for_api(hub, ready_timeout)
        yield hub
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if client is not None:
            remove_containers(client, labels)
            network.teardown(client, options.network_name)
            client.close()


def _wait_for_api(hub: RunningHub, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError("JupyterHub exited at start:\n" + hub.log_tail())
        with suppress(httpx.HTTPError):
            resp = httpx.get(
                f"{hub.public_url}/hub/api/", headers={"Authorization": f"token {hub.token}"}
            )
            if resp.status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("JupyterHub did not answer in time:\n" + hub.log_tail())
