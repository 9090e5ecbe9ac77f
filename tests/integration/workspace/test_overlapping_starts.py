"""Servers started at the same moment: each ready, each as isolated as a server started alone.

Starts overlap (the spawner's Docker calls run side by side; the default route is cut per
container), so each property that a start sets up is checked on every one of them.
"""

from __future__ import annotations

import threading

import httpx
import pytest
from test_workspace import admin, container_of, server_state, wait_for
from ws_hub import HubEnv

from tre.workspace import network

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(600)]

STARTS = [("alice", "p-1"), ("carol", "p-1"), ("bob", "p-2"), ("alice", "p-2")]


def test_servers_started_together_are_each_ready_and_isolated(hub_env: HubEnv) -> None:
    for user in {user for user, _project in STARTS}:
        httpx.post(f"{hub_env.hub.api_url}/users/{user}", headers=admin(hub_env), timeout=30)
    go = threading.Barrier(len(STARTS))
    answers: dict[tuple[str, str], int] = {}

    def start(user: str, project: str) -> None:
        go.wait()
        resp = httpx.post(
            f"{hub_env.hub.api_url}/users/{user}/servers/{project}",
            headers=admin(hub_env),
            timeout=120,
        )
        answers[(user, project)] = resp.status_code

    threads = [threading.Thread(target=start, args=pair) for pair in STARTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(code in (201, 202) for code in answers.values()), answers
    for user, project in STARTS:
        wait_for(lambda u=user, p=project: server_state(hub_env, u, p) == "ready", 120)

    extracts = hub_env.settings.extracts_path
    for user, project in STARTS:
        info = container_of(user, project).attrs
        assert "default" not in network.routes(int(info["State"]["Pid"]))
        assert list(info["NetworkSettings"]["Networks"]) == [hub_env.hub.options.network_name]
        assert info["HostConfig"]["CapDrop"] == ["ALL"]
        assert "no-new-privileges" in info["HostConfig"]["SecurityOpt"]
        data = [m for m in info["Mounts"] if m["Destination"] == "/home/jovyan/data"]
        assert len(data) == 1 and not data[0]["RW"]
        assert data[0]["Source"].startswith(str((extracts / project).resolve()))
