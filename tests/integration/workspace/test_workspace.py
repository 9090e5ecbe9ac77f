# ruff: noqa: E501  (code sent to the kernel reads best unwrapped)
"""Project workspaces on a real JupyterHub + Docker: access, data, isolation, revocation.

Each attack is attempted for real and must fail. Network probes go only to addresses inside the
test's own Docker network (an unused address, another test container, the gateway).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tre_test_grants import start_reasons as grants_check
from ws_hub import TEST_LABEL_FILTER, HubEnv, write_grants
from ws_kernel import Kernel, KernelError

from tre.workspace.spawner import project_paths

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(600)]


def admin(env: HubEnv) -> dict[str, str]:
    return {"Authorization": f"token {env.hub.token}"}


def start_server(env: HubEnv, user: str, project: str) -> httpx.Response:
    """Ask the hub to start `user`'s server for `project`; wait until it is ready."""
    httpx.post(f"{env.hub.api_url}/users/{user}", headers=admin(env), timeout=30)
    resp = httpx.post(
        f"{env.hub.api_url}/users/{user}/servers/{project}", headers=admin(env), timeout=120
    )
    if resp.status_code in (201, 202):
        wait_for(lambda: server_state(env, user, project) == "ready", 120)
    return resp


def server_state(env: HubEnv, user: str, project: str) -> str | None:
    resp = httpx.get(f"{env.hub.api_url}/users/{user}", headers=admin(env), timeout=30)
    server = resp.json().get("servers", {}).get(project)
    if not server:
        return None
    return "ready" if server.get("ready") else str(server.get("pending"))


def wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError("condition not reached in time")


def container_of(user: str, project: str):  # type: ignore[no-untyped-def]
    import docker

    client = docker.from_env()
    escaped = project.replace("-", "-2d")  # DockerSpawner escapes names: p-1 -> p-2d1
    found = client.containers.list(
        filters={"label": [TEST_LABEL_FILTER], "name": f"-{user}--{escaped}"}
    )
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def alice_p1(hub_env: HubEnv) -> Iterator[Kernel]:
    resp = start_server(hub_env, "alice", "p-1")
    assert resp.status_code in (201, 202), resp.text
    kernel = Kernel(f"{hub_env.hub.public_url}/user/alice/p-1", hub_env.token_for("alice"))
    yield kernel
    kernel.close()


CONNECT = """
import socket
def probe(host, port):
    s = socket.socket(); s.settimeout(3)
    try:
        s.connect((host, port)); return "open"
    except OSError as e:
        return type(e).__name__
    finally:
        s.close()
"""


def test_duckdb_counts_the_project_extract(alice_p1: Kernel) -> None:
    out = alice_p1.run(
        "import os, duckdb\n"
        "con = duckdb.connect(os.environ['TRE_DATA_DIR'] + '/catalog.duckdb', read_only=True)\n"
        "con.execute(\"SET file_search_path = '\" + os.environ['TRE_DATA_DIR'] + \"'\")\n"
        "print(con.execute('select count(*) from patients').fetchone()[0])\n"
        "print(sorted(r[0] for r in con.execute('select table_name from information_schema.tables').fetchall()))\n"
    )
    count, tables = out.strip().splitlines()
    assert count == "37"
    assert tables == "['patients']"  # p-2's conditions table is not permitted here


def test_other_projects_data_and_outputs_are_not_reachable(
    hub_env: HubEnv, alice_p1: Kernel
) -> None:
    p2 = hub_env.settings.extracts_path / "p-2"
    p2_outputs = hub_env.settings.workspaces_path / "p-2" / "outputs"
    p2_outputs.mkdir(parents=True, exist_ok=True)
    (p2_outputs / "secret.csv").write_text("n\n1\n")
    out = alice_p1.run(
        "import os\n"
        f"print([os.path.exists(p) for p in ({str(p2)!r}, {str(p2_outputs)!r}, '/home/jovyan/../../tre-home')])\n"
        "print(sorted(os.listdir('/home/jovyan/outputs')))\n"
        "print(sorted(os.listdir('/home/jovyan/data/data')))\n"
        "mounts = [l.split()[4] for l in open('/proc/self/mountinfo')]\n"
        "print(sorted(m for m in mounts if m.startswith('/home') or 'docker.sock' in m))\n"
    )
    exists, outputs, data, mounts = out.strip().splitlines()
    assert exists == "[False, False, False]"
    assert "secret.csv" not in outputs
    assert data == "['patients.parquet']"
    assert mounts == "['/home/jovyan', '/home/jovyan/data', '/home/jovyan/outputs']"


def test_no_tre_secret_or_host_state_reaches_the_container(
    hub_env: HubEnv, alice_p1: Kernel
) -> None:
    settings = hub_env.settings
    lake_key = settings.lake_key_path.read_bytes()
    info = container_of("alice", "p-1").attrs
    # What the engine gives the container: its environment and every mount.
    env = dict(item.split("=", 1) for item in info["Config"]["Env"])
    assert "TRE_HOME" not in env and "TRE_DATABASE_URL" not in env
    assert {k for k in env if k.startswith("TRE_")} == {
        "TRE_DATA_DIR",
        "TRE_OUTPUTS_DIR",
        "TRE_PROJECT_ID",
        "TRE_LOCALE",
        "TRE_WORKSPACE_LIMITS",
    }
    assert env["TRE_LOCALE"] == settings.locale
    home, outputs = project_paths(settings, "p-1", "alice")
    extract = settings.extracts_path / "p-1" / "builds" / "b1"
    sources = {Path(m["Source"]).resolve() for m in info["Mounts"]}
    assert sources == {home.resolve(), outputs.resolve(), extract.resolve()}
    for source in sources:
        for secret_place in (settings.keys_path, settings.lake_path, settings.home_path / "tre.db"):
            assert not source.is_relative_to(secret_place.resolve())
            assert not secret_place.resolve().is_relative_to(source)
    assert not info["HostConfig"]["Privileged"]
    assert info["HostConfig"]["CapDrop"] == ["ALL"]
    # What a kernel sees: no variable holds the lake key or a host path of TRE_HOME.
    out = alice_p1.run(
        "import os\n"
        "print(repr('\\n'.join(f'{k}={v}' for k, v in os.environ.items())))\n"
        "print(repr(open('/proc/1/environ', 'rb').read().decode(errors='replace')))\n"
        "print([os.path.exists(p) for p in ('/var/run/docker.sock', '/run/docker.sock')])\n"
    )
    kernel_env, init_env, sockets = out.strip().splitlines()
    for text in (kernel_env, init_env, "\n".join(info["Config"]["Env"])):
        assert "TRE_PROJECT_ID" in text  # the real environment was read
        for needle in (lake_key.hex(), str(settings.home_path), "TRE_HOME"):
            assert needle not in text
    assert sockets == "[False, False]"


def test_other_projects_and_users_homes_are_not_reachable(
    hub_env: HubEnv, alice_p1: Kernel
) -> None:
    settings = hub_env.settings
    # alice's own home in p-2 and carol's home in p-1 hold a marker the p-1 server must not see.
    for project, user in (("p-2", "alice"), ("p-1", "carol")):
        home, _outputs = project_paths(settings, project, user)
        home.mkdir(parents=True, exist_ok=True)
        (home / "marker-other-home.txt").write_text("private")
    out = alice_p1.run(
        "import os\n"
        "hits = [os.path.join(d, f) for top in ('/home', '/tmp', '/mnt', '/srv', '/opt')\n"
        "        for d, _, fs in os.walk(top) for f in fs if f == 'marker-other-home.txt']\n"
        "print(hits)\n"
        f"print(os.path.exists({str(project_paths(settings, 'p-2', 'alice')[0])!r}))\n"
    )
    hits, exists = out.strip().splitlines()
    assert hits == "[]"
    assert exists == "False"


def test_data_mount_is_read_only(alice_p1: Kernel) -> None:
    with pytest.raises(KernelError, match=r"OSError|Read-only"):
        alice_p1.run("open('/home/jovyan/data/new.csv', 'w').write('x')")
    with pytest.raises(KernelError, match=r"OSError|Read-only|PermissionError"):
        alice_p1.run("import os; os.remove('/home/jovyan/data/catalog.duckdb')")


def test_no_privileges_in_the_container(alice_p1: Kernel) -> None:
    out = alice_p1.run(
        "import os\n"
        "status = dict(l.split(':\\t') for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n"
        "print(os.getuid(), status['CapEff'].strip(), status['NoNewPrivs'].strip())\n"
    )
    uid, cap_eff, no_new_privs = out.split()
    assert uid == "1000"
    assert int(cap_eff, 16) == 0
    assert no_new_privs == "1"


def test_non_member_cannot_start_a_project_server(hub_env: HubEnv) -> None:
    resp = start_server(hub_env, "bob", "p-1")
    assert resp.status_code == 403
    assert "not" in resp.json()["message"].lower()
    assert server_state(hub_env, "bob", "p-1") is None


def test_unknown_project_and_default_server_are_refused(hub_env: HubEnv) -> None:
    assert start_server(hub_env, "alice", "p-99").status_code == 403
    resp = httpx.post(f"{hub_env.hub.api_url}/users/alice/server", headers=admin(hub_env))
    assert resp.status_code == 403


def test_non_member_cannot_open_another_users_server(hub_env: HubEnv, alice_p1: Kernel) -> None:
    bob = hub_env.token_for("bob")
    resp = httpx.get(
        f"{hub_env.hub.public_url}/user/alice/p-1/api/contents",
        headers={"Authorization": f"token {bob}"},
        timeout=30,
    )
    assert resp.status_code == 403


def test_network_reaches_only_the_hub_api(hub_env: HubEnv, alice_p1: Kernel) -> None:
    # A second project's server: another container on the same network.
    assert start_server(hub_env, "bob", "p-2").status_code in (201, 202)
    other_ip = container_of("bob", "p-2").attrs["NetworkSettings"]["Networks"][
        hub_env.hub.options.network_name
    ]["IPAddress"]
    gateway = hub_env.hub.options.gateway
    unused = gateway.rsplit(".", 1)[0] + ".250"
    # A host port other than the hub API, listening on the gateway address.
    listener = socket.socket()
    listener.bind((gateway, 0))
    listener.listen()
    host_port = listener.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # closed at the end of the test, still waiting
            accepted.append(listener.accept())

    threading.Thread(target=accept, daemon=True).start()
    try:
        out = alice_p1.run(
            CONNECT
            + f"print(probe({gateway!r}, {hub_env.hub.options.hub_api_port}))\n"
            + f"print(probe({other_ip!r}, 8888))\n"
            + f"print(probe({unused!r}, 80))\n"
            + f"print(probe({gateway!r}, {host_port}))\n"
            + "print([l.split()[1] for l in open('/proc/net/route').read().splitlines()[1:]])\n"
            + "print(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]))\n"
        )
    finally:
        listener.close()
    hub_api, other, unused_result, host_other, routes, interfaces = out.strip().splitlines()
    assert hub_api == "open"
    assert other != "open"
    assert unused_result != "open"
    assert host_other != "open"
    assert not accepted
    assert "00000000" not in routes  # no default route: nothing outside the subnet is routable
    assert interfaces == "['eth0', 'lo']"


def test_revocation_stops_a_running_server(hub_env: HubEnv) -> None:
    from tre.workspace.enforce import stop_unauthorised

    assert start_server(hub_env, "carol", "p-1").status_code in (201, 202)
    assert server_state(hub_env, "carol", "p-1") == "ready"
    write_grants(
        hub_env.home,
        {
            "p-1": {"members": {"alice": "analyst"}},  # carol removed
            "p-2": {"members": {"bob": "analyst", "alice": "analyst"}},
        },
    )
    assert stop_unauthorised(hub_env.settings, check=grants_check) == [("carol", "p-1")]
    wait_for(lambda: server_state(hub_env, "carol", "p-1") is None, 60)
    # alice, still a member, keeps her server.
    assert server_state(hub_env, "alice", "p-1") == "ready"
