# ruff: noqa: E501  (code sent to the kernel reads best unwrapped)
"""Every path from a workspace to the analyst's browser, attacked through the real hub.

A real JupyterHub with TreSpawner, the workspace gate in front of every server, and the
workspace image: requests go to the hub's public address as a signed-in analyst's browser's
would (alice's API token, through the proxy and the gate). Each attack is one an analyst could
try; each must fail, be recorded in the audit log, and leave normal work intact.

The output limits are lowered for this module (256 KiB burst) so that bulk printing reaches
them in seconds; the file caps are the defaults.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websocket
from sqlalchemy import select
from ws_hub import HERE, HubEnv, make_world, start_hub
from ws_kernel import Kernel

from tre import audit
from tre.db import session_scope
from tre.db.models import AuditEvent
from tre.workspace.transfer import KIB, MIB

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(900)]

OUTPUT_BURST = 256 * KIB
OUTPUT_RATE = 32 * KIB
# Written into every bulk file the kernel makes: must never appear in an audit body or a message.
MARKER = "marker-4f1c9"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubEnv]:
    home = tmp_path_factory.mktemp("paths") / "tre-home"
    make_world(home)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TRE_WORKSPACE_OUTPUT_BURST_BYTES", str(OUTPUT_BURST))
        monkeypatch.setenv("TRE_WORKSPACE_OUTPUT_RATE_BYTES", str(OUTPUT_RATE))
        yield from start_hub(home, monkeypatch, operator_interval_seconds=3600)


@pytest.fixture(scope="module")
def token(env: HubEnv) -> str:
    admin = {"Authorization": f"token {env.hub.token}"}
    httpx.post(f"{env.hub.api_url}/users/alice", headers=admin, timeout=30)
    resp = httpx.post(f"{env.hub.api_url}/users/alice/servers/p-1", headers=admin, timeout=120)
    assert resp.status_code in (201, 202), resp.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        user = httpx.get(f"{env.hub.api_url}/users/alice", headers=admin, timeout=30).json()
        if (user["servers"].get("p-1") or {}).get("ready"):
            return env.token_for("alice")
        time.sleep(0.5)
    raise AssertionError("alice's p-1 server did not become ready")


@pytest.fixture(scope="module")
def base(env: HubEnv, token: str) -> str:
    return f"{env.hub.public_url}/user/alice/p-1"


@pytest.fixture(scope="module")
def api(base: str, token: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"token {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def kernel(base: str, token: str) -> Iterator[Kernel]:
    k = Kernel(base, token)
    yield k
    k.close()


def contents(path: str) -> str:
    return f"/api/contents/{path}"


def usage_events(env: HubEnv, action: str) -> list[dict[str, Any]]:
    with session_scope(env.settings) as session:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        ).scalars()
        return [json.loads(event.body) | {"actor": event.actor} for event in rows]


def wait_for_event(env: HubEnv, action: str, **expected: Any) -> dict[str, Any]:
    """The first `action` record whose body holds `expected` (written asynchronously)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for body in usage_events(env, action):
            if all(body.get(k) == v for k, v in expected.items()):
                return body
        time.sleep(0.3)
    raise AssertionError(f"no {action} record with {expected}: {usage_events(env, action)}")


def message(resp: httpx.Response) -> str:
    return str(resp.json().get("message", ""))


# -- the list of routes --------------------------------------------------------------------
def test_every_route_of_the_image_is_in_the_documented_table(kernel: Kernel) -> None:
    """The server in the image has no route that docs/workspaces.md (and with it the gate's
    checked table, tests/unit/workspace/test_gate_routes.py) does not decide."""
    script = (HERE / "list_routes.py").read_text()
    out = kernel.run(
        "import subprocess, sys\n"
        f"r = subprocess.run([sys.executable, '-'], input={script!r}, capture_output=True, text=True)\n"
        "print(r.stdout)\n"
        "print(r.stderr[-2000:])\n"
    )
    listed = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(listed) > 50, out[-2000:]
    doc = (HERE.parents[2] / "docs" / "workspaces.md").read_text().replace("\\|", "|")
    own = "tre.workspace.serverext."
    missing = [r["pattern"] for r in listed if not r["handler"].startswith(own)
               and f"| `{r['pattern']}` |" not in doc]  # fmt: skip
    assert missing == []
    assert not any(
        "terminal" in r["handler"].lower() and not r["handler"].startswith(own) for r in listed
    )


def test_the_gate_listens_only_on_loopback(env: HubEnv, token: str) -> None:
    """Only the proxy reaches the gate: not the workspace network, not other interfaces."""
    children = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(env.hub.process.pid)],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
    pids = [line.split()[0] for line in children.splitlines() if "tre.workspace.gate" in line]
    assert len(pids) == 1, children
    lines = subprocess.run(["ss", "-H", "-ltnp"], capture_output=True, text=True, check=True)
    listening = {line.split()[3] for line in lines.stdout.splitlines() if f"pid={pids[0]}," in line}
    assert listening == {f"127.0.0.1:{env.hub.options.gate_port}"}


# -- contents: the whole extract as CSV, a 60 MB notebook --------------------------------------
def test_extract_written_as_csv_is_not_served(
    env: HubEnv, api: httpx.Client, kernel: Kernel
) -> None:
    made = kernel.run(
        "import os, duckdb\n"
        "con = duckdb.connect(os.environ['TRE_DATA_DIR'] + '/catalog.duckdb', read_only=True)\n"
        "con.execute(\"SET file_search_path = '\" + os.environ['TRE_DATA_DIR'] + \"'\")\n"
        f"con.execute(\"COPY (SELECT p.*, '{MARKER}' || r.range AS filler FROM patients p, range(60000) r) TO '/home/jovyan/big.csv' (HEADER)\")\n"
        "import shutil\n"
        "for name in ('big.txt', 'big.py', 'big.ipynb', 'outputs/big.csv'):\n"
        "    shutil.copy('/home/jovyan/big.csv', '/home/jovyan/' + name)\n"
        "print(os.path.getsize('/home/jovyan/big.csv'))\n"
    )
    size = int(made.strip())
    assert size > 50 * MIB
    refused = api.get(contents("big.csv"), params={"content": "1", "format": "text"})
    assert refused.status_code == 403
    assert "airlock" in message(refused)
    assert MARKER not in refused.text
    for name in ("big.txt", "big.py", "big.ipynb", "outputs/big.csv"):
        resp = api.get(contents(name), params={"content": "1"})
        assert resp.status_code == 403, name
        assert MARKER not in resp.text
    for path in ("files/big.csv", "view/big.csv", "nbconvert/html/big.ipynb"):
        resp = api.get(f"/{path}")
        assert resp.status_code == 403, path
        assert MARKER not in resp.text
    b64 = api.get(contents("big.py"), params={"content": "1", "format": "base64"})
    assert b64.status_code == 403
    # The listing still shows the file and its size.
    listing = api.get(contents(""), params={"content": "1"}).json()
    sizes = {item["name"]: item["size"] for item in listing["content"]}
    assert sizes["big.csv"] == size
    record = wait_for_event(env, "workspace.refused", path="big.csv")
    assert record["user"] == "alice" and record["project"] == "p-1" and record["actor"] == "alice"


def test_notebook_of_printed_rows_is_not_served(
    env: HubEnv, api: httpx.Client, kernel: Kernel
) -> None:
    kernel.run(
        "import json\n"
        f"rows = ''.join(f'{MARKER},{{i}},1950-01-01\\n' for i in range(2_000_000))\n"
        "nb = {'cells': [{'cell_type': 'code', 'execution_count': 1, 'metadata': {}, 'source': 'print(rows)',\n"
        "                 'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': rows}]}],\n"
        "      'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}\n"
        "open('/home/jovyan/printed.ipynb', 'w').write(json.dumps(nb))\n"
    )
    resp = api.get(contents("printed.ipynb"), params={"content": "1", "type": "notebook"})
    assert resp.status_code == 403
    assert "8 MiB" in message(resp)
    assert MARKER not in resp.text
    as_text = api.get(
        contents("printed.ipynb"), params={"content": "1", "type": "file", "format": "text"}
    )
    assert as_text.status_code == 403
    wait_for_event(env, "workspace.refused", path="printed.ipynb")


def test_many_small_files_are_each_recorded(env: HubEnv, api: httpx.Client, kernel: Kernel) -> None:
    """Splitting data into files under the cap: each read over 64 KiB is recorded with its
    size, and all of them together are paced by the transfer meter."""
    kernel.run(
        f"line = '{MARKER},' + 'x' * 90 + '\\n'\n"
        "for i in range(3):\n"
        "    open(f'/home/jovyan/part{i}.txt', 'w').write(line * 2000)\n"
    )
    for i in range(3):
        resp = api.get(contents(f"part{i}.txt"), params={"content": "1"})
        assert resp.status_code == 200
        record = wait_for_event(env, "workspace.read", path=f"part{i}.txt")
        assert record["bytes"] >= 2000 * 90


# -- kernel output -------------------------------------------------------------------------------
def test_bulk_printing_is_paused_and_a_huge_output_not_shown(kernel: Kernel) -> None:
    began = time.monotonic()
    answers = kernel.execute(
        f"row = '{MARKER},1950-01-01,' + 'x' * 60\nfor i in range(100_000):\n    print(row, i)\n",
        timeout=300,
    )
    elapsed = time.monotonic() - began
    streamed = [m["content"]["text"] for m in answers if m["msg_type"] == "stream"]
    shown = sum(len(t.encode()) for t in streamed if MARKER in t)
    printed = 100_000 * 80
    assert shown < printed / 4
    # Never more than the burst plus the rate for the time it took (and one message of slack).
    assert shown <= OUTPUT_BURST + OUTPUT_RATE * elapsed + 64 * KIB
    # Paused once the burst is spent, or (prints batched into one large message on a busy
    # machine) not shown for its size.
    assert any("Output paused" in t or "not shown" in t for t in streamed)

    big = kernel.execute(
        "from IPython.display import display, HTML\n"
        f"display(HTML('<pre>' + '{MARKER}' * 300_000 + '</pre>'))\n",
        timeout=120,
    )
    texts = json.dumps([m["content"] for m in big if m["msg_type"] != "execute_input"])
    assert MARKER not in texts
    assert "not shown" in texts


def test_code_sent_to_a_kernel_is_capped(
    env: HubEnv, base: str, token: str, kernel: Kernel
) -> None:
    """A cell holding pasted data does not reach the kernel: over 256 KiB the server ends the
    cell with a message; over twice that the gate closes the connection and records it."""
    answers = kernel.execute("x = '" + "y" * (400 * KIB) + "'\nprint(len(x))\n", timeout=120)
    texts = json.dumps([m["content"] for m in answers])
    assert str(400 * KIB) not in texts
    assert "256 KiB" in texts
    other = Kernel(base, token)
    try:
        with pytest.raises(websocket.WebSocketException):
            other.execute("x = '" + "y" * MIB + "'\nprint(len(x))\n", timeout=120)
    finally:
        other.close()
    wait_for_event(env, "workspace.refused", reason="input-too-large")


# -- terminals -----------------------------------------------------------------------------------
def test_terminals_are_closed(env: HubEnv, api: httpx.Client, base: str, token: str) -> None:
    created = api.post("/api/terminals")
    assert created.status_code == 403
    assert api.get("/api/terminals").status_code == 403
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(
            base.replace("http://", "ws://") + "/terminals/websocket/1",
            header=[f"Authorization: token {token}"],
            timeout=30,
        )
    assert refused.value.status_code == 403
    page = api.get("/lab").text
    assert '"terminalsAvailable": false' in page
    wait_for_event(env, "workspace.refused", route="unknown", path="api/terminals")


# -- uploads -------------------------------------------------------------------------------------
def test_uploads_carry_no_data_in(env: HubEnv, api: httpx.Client, kernel: Kernel) -> None:
    twenty = base64.b64encode(b"person,1950\n" * (20 * MIB // 12)).decode()
    parquet = base64.b64encode(b"PAR1" + os.urandom(4096) + b"PAR1").decode()
    attempts = {
        "rows.ipynb": {"type": "file", "format": "base64", "content": twenty},
        "rows.csv": {"type": "file", "format": "text", "content": "person,year\n1,1950\n"},
        "rows.py": {"type": "file", "format": "base64", "content": parquet},
        "part.py": {"type": "file", "format": "base64", "content": parquet[:1000], "chunk": 1},
        "last.py": {"type": "file", "format": "base64", "content": parquet[:1000], "chunk": -1},
        "big.sql": {"type": "file", "format": "text", "content": "-- " + "z" * (300 * KIB)},
    }
    assert api.put(contents("in"), json={"type": "directory"}).status_code == 201
    for name, model in attempts.items():
        resp = api.put(contents(f"in/{name}"), json=model)
        assert resp.status_code == 403, (name, resp.text[:200])
        assert message(resp), name
    present = kernel.run(
        "import os; print(sorted(os.listdir('/home/jovyan/in')) if os.path.isdir('/home/jovyan/in') else [])"
    )
    assert present.strip() == "[]"
    wait_for_event(env, "workspace.refused", path="in/rows.ipynb", reason="too-large")
    wait_for_event(env, "workspace.refused", path="in/part.py", reason="chunked")
    wait_for_event(env, "workspace.refused", path="in/rows.py", reason="not-text")
    # Code within the cap is accepted, and a large one is recorded with its size.
    code = "# analysis\n" + "value = 1\n" * 10_000
    accepted = api.put(
        contents("in/analysis.py"), json={"type": "file", "format": "text", "content": code}
    )
    assert accepted.status_code in (200, 201), accepted.text
    record = wait_for_event(env, "workspace.upload", path="in/analysis.py")
    assert record["bytes"] == len(code.encode())


# -- stored JSON as a channel ---------------------------------------------------------------------
def test_nbconfig_layouts_and_settings_are_no_channel(
    env: HubEnv, api: httpx.Client, kernel: Kernel
) -> None:
    assert api.put("/api/config/notebook", json={"data": MARKER}).status_code == 403
    assert api.get("/api/config/notebook").status_code == 403
    kernel.run(
        "import json, os\n"
        "from jupyterlab_server.workspaces_handler import WORKSPACE_EXTENSION, slugify\n"
        "lay = '/home/jovyan/.jupyter/lab/workspaces'; os.makedirs(lay, exist_ok=True)\n"
        f"state = {{'data': {{'x': '{MARKER}' * 300_000}}, 'metadata': {{'id': '/stash'}}}}\n"
        "open(lay + '/' + slugify('stash') + WORKSPACE_EXTENSION, 'w').write(json.dumps(state))\n"
        "st = '/home/jovyan/.jupyter/lab/user-settings/@jupyterlab/apputils-extension'; os.makedirs(st, exist_ok=True)\n"
        # Just over the 1 MiB cap: the server's JSON5 parser takes seconds per MiB.
        f"open(st + '/notification.jupyterlab-settings', 'w').write('// ' + '{MARKER}' * 90_000 + '\\n{{}}')\n"
    )
    for path in ("/lab/api/workspaces/stash", "/lab/api/workspaces",
                 "/lab/api/settings/@jupyterlab/apputils-extension:notification", "/lab/api/settings"):  # fmt: skip
        resp = api.get(path)
        assert resp.status_code in (403, 502), (path, resp.text[:300])
        assert MARKER not in resp.text, path
    stash = {"raw": "// " + MARKER * 200_000 + "\n{}"}
    put = api.put("/lab/api/settings/@jupyterlab/apputils-extension:themes", json=stash)
    assert put.status_code == 403
    wait_for_event(
        env, "workspace.refused", path="lab/api/workspaces/stash", reason="response-too-large"
    )
    kernel.run(
        "import glob, os\n"
        "for f in glob.glob('/home/jovyan/.jupyter/lab/*/*stash*') + glob.glob('/home/jovyan/.jupyter/lab/user-settings/*/*/notification*'):\n"
        "    os.remove(f)\n"
    )
    # Ordinary settings still save and load.
    theme = {"raw": '{"theme": "JupyterLab Dark"}'}
    assert (
        api.put("/lab/api/settings/@jupyterlab/apputils-extension:themes", json=theme).status_code
        == 204
    )


def test_files_in_the_home_are_not_served_as_extensions_or_kernel_specs(
    api: httpx.Client, kernel: Kernel
) -> None:
    kernel.run(
        "import os, json\n"
        "ext = '/home/jovyan/.local/share/jupyter/labextensions/stash/static'; os.makedirs(ext, exist_ok=True)\n"
        f"open(ext + '/remoteEntry.js', 'w').write('{MARKER}' * 1000)\n"
        "ks = '/home/jovyan/.local/share/jupyter/kernels/stash'; os.makedirs(ks, exist_ok=True)\n"
        "json.dump({'argv': ['python', '-m', 'ipykernel', '-f', '{connection_file}'], 'display_name': 's', 'language': 'python'}, open(ks + '/kernel.json', 'w'))\n"
        f"open(ks + '/rows.csv', 'w').write('{MARKER}\\n' * 1000)\n"
        f"open(ks + '/logo-64x64.png', 'w').write('{MARKER}' * 1000)\n"
    )
    for path in ("/lab/extensions/stash/static/remoteEntry.js", "/kernelspecs/stash/rows.csv",
                 "/kernelspecs/stash/logo-64x64.png", "/kernelspecs/python3/kernel.json"):  # fmt: skip
        resp = api.get(path)
        assert resp.status_code in (403, 404), path
        assert MARKER not in resp.text, path
    assert "stash" not in api.get("/api/kernelspecs").json()["kernelspecs"]
    assert api.get("/kernelspecs/python3/logo-64x64.png").status_code == 200


def test_ambiguous_and_unknown_paths_are_refused(api: httpx.Client) -> None:
    for path in ("/api/contents/in/analysis.py/../../big.csv", "/api/contents/in/%2e%2e/big.csv",
                 "/metrics", "/api/spec.yaml", "/lab/api/extensions", "/lab/api/plugins",
                 "/api/events", "/anything"):  # fmt: skip
        resp = api.request("POST" if path == "/api/events" else "GET", path)
        assert resp.status_code in (400, 403), path


# -- normal work ---------------------------------------------------------------------------------
def test_normal_work_still_works(api: httpx.Client, kernel: Kernel) -> None:
    notebook = {
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": "1 + 1"}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    assert api.put(contents("work"), json={"type": "directory"}).status_code == 201
    saved = api.put(contents("work/analysis.ipynb"), json={"type": "notebook", "content": notebook})
    assert saved.status_code in (200, 201), saved.text
    opened = api.get(contents("work/analysis.ipynb"), params={"content": "1", "type": "notebook"})
    assert opened.status_code == 200
    edited = opened.json()["content"]
    edited["cells"][0]["source"] = "2 + 2"
    assert (
        api.put(
            contents("work/analysis.ipynb"), json={"type": "notebook", "content": edited}
        ).status_code
        == 200
    )
    assert (
        api.get(contents("work/analysis.ipynb"), params={"content": "1"}).json()["content"][
            "cells"
        ][0]["source"]
        == "2 + 2"
    )

    script = {"type": "file", "format": "text", "content": "print('hello')\n"}
    assert api.put(contents("work/run.py"), json=script).status_code in (200, 201)
    script["content"] = "print('edited')\n"
    assert api.put(contents("work/run.py"), json=script).status_code == 200
    assert (
        api.get(contents("work/run.py"), params={"content": "1"}).json()["content"]
        == "print('edited')\n"
    )
    assert api.post(contents("work/run.py") + "/checkpoints").status_code == 201
    renamed = api.patch(contents("work/run.py"), json={"path": "work/main.py"})
    assert renamed.status_code == 200
    listing = api.get(contents("work"), params={"content": "1"}).json()["content"]
    assert {i["name"]: i["size"] > 0 for i in listing} == {"analysis.ipynb": True, "main.py": True}
    assert kernel.run("exec(open('/home/jovyan/work/main.py').read())").strip() == "edited"
    assert (
        kernel.run("import pandas as pd; print(pd.DataFrame({'n': [1, 2]}).sum()['n'])").strip()
        == "3"
    )
    session = api.post("/api/sessions", json={"path": "work/analysis.ipynb", "type": "notebook",
                                              "name": "", "kernel": {"name": "python3"}})  # fmt: skip
    assert session.status_code == 201
    assert api.delete(f"/api/sessions/{session.json()['id']}").status_code == 204
    assert api.get(contents("work/main.py")).status_code == 200


def test_jupyterlab_page_and_its_files_pass_the_gate(api: httpx.Client) -> None:
    page = api.get("/lab")
    assert page.status_code == 200
    scripts = [part.split('"')[0] for part in page.text.split('src="')[1:]]
    main = next(s for s in scripts if "static/lab/main" in s)
    asset = api.get(main.split("/user/alice/p-1", 1)[-1])
    assert asset.status_code == 200 and len(asset.content) > 10 * KIB


def test_a_second_kernel_connection_closes_cleanly(base: str, token: str) -> None:
    """A websocket's usage is recorded when it closes (the module kernel stays open)."""
    k = Kernel(base, token)
    try:
        out = k.run("print('x' * 100_000)")
        assert len(out) > 90_000
    finally:
        k.close()
    assert uuid.UUID(k.kernel_id)


# -- the record ------------------------------------------------------------------------------------
def test_usage_records_carry_names_and_sizes_never_content(env: HubEnv) -> None:
    bodies = []
    for action in ("workspace.refused", "workspace.read", "workspace.upload", "workspace.channel"):
        bodies += usage_events(env, action)
    assert len(bodies) > 10
    text = json.dumps(bodies)
    assert MARKER not in text
    assert all(b["user"] == "alice" and b["project"] == "p-1" for b in bodies)
    channel = wait_for_event(env, "workspace.channel", route="kernel-channels", closed=True)
    assert channel["bytes_to_browser"] > 64 * KIB
    with session_scope(env.settings) as session:
        assert audit.verify(session).ok
