"""A real JupyterHub with TreSpawner on a throw-away internal network, and two project extracts.

Everything created is labelled `tre.test=<this run>` and removed by label afterwards. Container
logs are printed only when a test fails.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

HERE = Path(__file__).resolve().parent
PASSWORD = "correct-horse-battery"
# One value per test run (inherited by subprocesses), so that runs sharing a Docker engine
# clean up only what they made themselves.
TEST_RUN = os.environ.setdefault("TRE_TEST_RUN", secrets.token_hex(4))
TEST_LABELS = {"tre.test": TEST_RUN}
TEST_LABEL_FILTER = f"tre.test={TEST_RUN}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_extract(extracts: Path, project_id: str, tables: dict[str, int]) -> Path:
    """An extract like tre.extract's: data/*.parquet, catalog.duckdb of views, `current` link."""
    build = extracts / project_id / "builds" / "b1"
    (build / "data").mkdir(parents=True)
    con = duckdb.connect(str(build / "catalog.duckdb"))
    con.execute(f"SET file_search_path = '{build}'")  # views name files relative to the build
    for table, rows in tables.items():
        con.execute(
            f"COPY (SELECT 'person-' || i AS person_id, 1950 + i % 50 AS birth_year "
            f"FROM range({rows}) t(i)) TO '{build / 'data' / table}.parquet' (FORMAT parquet)"
        )
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('data/{table}.parquet')")
    con.close()
    (build / "manifest.json").write_text(json.dumps({"project": project_id, "tables": tables}))
    os.symlink("builds/b1", extracts / project_id / "current")
    return build


def write_grants(home: Path, projects: dict[str, dict[str, object]]) -> None:
    (home / "test-grants.json").write_text(json.dumps({"projects": projects}))


@dataclass
class HubEnv:
    settings: Any
    hub: Any
    home: Path

    def token_for(self, username: str) -> str:
        import httpx

        headers = {"Authorization": f"token {self.hub.token}"}
        httpx.post(f"{self.hub.api_url}/users/{username}", headers=headers, timeout=30)
        resp = httpx.post(
            f"{self.hub.api_url}/users/{username}/tokens",
            headers=headers,
            json={"note": "test", "expires_in": 3600},
            timeout=30,
        )
        resp.raise_for_status()
        return str(resp.json()["token"])


def docker_client():  # type: ignore[no-untyped-def]
    import docker

    return docker.from_env()


def cleanup_by_label() -> None:
    from tre.workspace import network

    client = docker_client()
    for container in client.containers.list(all=True, filters={"label": TEST_LABEL_FILTER}):
        container.remove(force=True)
    for net in client.networks.list(filters={"label": TEST_LABEL_FILTER}):
        network.teardown(client, net.name)
    client.close()


def start_hub(
    home: Path, monkeypatch: pytest.MonkeyPatch, **option_overrides: object
) -> Iterator[HubEnv]:
    from tre.config import load_settings
    from tre.workspace.hub import HubOptions
    from tre.workspace.launcher import running_hub

    image = os.environ.get("TRE_TEST_WORKSPACE_IMAGE", "tre-workspace:latest")
    if not docker_client().images.list(name=image):
        pytest.fail(f"workspace image {image} is missing: run `tre image build` first")
    tag = secrets.token_hex(3)
    monkeypatch.setenv("TRE_HUB_PORT", str(free_port()))
    monkeypatch.setenv("TRE_WORKSPACE_IMAGE", image)
    monkeypatch.setenv("PYTHONPATH", f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    settings = load_settings(home=home)
    values: dict[str, object] = {
        "gateway": "",
        "network_name": f"tre-t-{tag}",
        "hub_api_port": free_port(),
        "proxy_api_port": free_port(),
        "gate_port": free_port(),
        "auth": "shared-password",
        "shared_password": PASSWORD,
        "container_prefix": f"tre-t-{tag}",
        "container_labels": dict(TEST_LABELS),
        "access_check": "tre_test_grants:start_reasons",
        "portal": False,  # the portal has its own tests
    }
    options = HubOptions(**{**values, **option_overrides})  # type: ignore[arg-type]
    try:
        with running_hub(settings, options, network_labels=dict(TEST_LABELS)) as hub:
            yield HubEnv(settings=settings, hub=hub, home=home)
            if getattr(sys, "last_value", None) is not None:
                print(hub.log_tail(200))
    finally:
        cleanup_by_label()


def make_world(home: Path) -> None:
    """Two projects' extracts and memberships: alice in both, carol in p-1, bob in p-2.

    `tre init` runs first, so the lake key and the control database exist on the host as in
    a real deployment (the tests check that neither reaches a workspace)."""
    from tre.cli.init import initialise
    from tre.config import load_settings

    settings = load_settings(home=home)
    initialise(settings)
    root = settings.extracts_path
    make_extract(root, "p-1", {"patients": 37})
    make_extract(root, "p-2", {"patients": 52, "conditions": 11})
    write_grants(
        home,
        {
            "p-1": {"members": {"alice": "analyst", "carol": "analyst"}},
            "p-2": {"members": {"bob": "analyst", "alice": "analyst"}},
        },
    )


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubEnv]:
    """One hub for a module's tests (the culler is slow on purpose: see test_culling)."""
    home = tmp_path_factory.mktemp("hub") / "tre-home"
    make_world(home)
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from start_hub(home, monkeypatch, operator_interval_seconds=3600)
