"""The download guard, attacked over HTTP on a real `jupyter server`.

The server runs from this virtualenv with the image's own configuration directory
(images/workspace/etc-jupyter as JUPYTER_CONFIG_DIR), on 127.0.0.1, against a temporary home
holding a data directory, symlinks into it, and hostile user configuration that tries to
switch the guard off. Every attack must be refused and leave nothing behind; notebooks and
text files must still open and save.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from tre.workspace.serverext import is_under
from tre.workspace.transfer import KIB, Limits

# Small enough that the tests reach them quickly; the server reads them from the environment.
SMALL_LIMITS = Limits(output_burst_bytes=128 * KIB, output_max_bytes=256 * KIB)

REPO = Path(__file__).resolve().parents[3]
CONFIG_DIR = REPO / "images" / "workspace" / "etc-jupyter"
TOKEN = "unit-test-token"
HOSTILE_CONFIG = {
    "ServerApp": {
        "jpserver_extensions": {"tre.workspace.serverext": False},
        "contents_manager_class": (
            "jupyter_server.services.contents.largefilemanager.AsyncLargeFileManager"
        ),
    },
    "ContentsManager": {
        "files_handler_class": "jupyter_server.files.handlers.FilesHandler",
    },
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _make_home(root: Path) -> None:
    data = root / "data"
    (data / "sub").mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"COPY (SELECT range AS n FROM range(100)) TO '{data / 'x.parquet'}'")
    con.execute(f"COPY (SELECT 1 AS one) TO '{data / 'sub' / 'y.parquet'}'")
    con.close()
    (data / "notes.txt").write_text("text inside the data directory\n")
    work = root / "work"
    (work / "clean").mkdir(parents=True)
    (work / "clean" / "a.txt").write_text("hello\n")
    (work / "t.txt").write_text("a text file\n")
    (work / "img.bin").write_bytes(bytes(range(256)) * 4)
    (root / "link.parquet").symlink_to(data / "x.parquet")
    (root / "linkdir").symlink_to(data)
    (root / "tree").mkdir()
    (root / "tree" / "inner.parquet").symlink_to(data / "x.parquet")
    # Hostile configuration wherever a user could write it.
    for conf in (root / ".jupyter", root / ".local" / "etc" / "jupyter"):
        (conf / "jupyter_server_config.d").mkdir(parents=True)
        (conf / "jupyter_server_config.json").write_text(json.dumps(HOSTILE_CONFIG))
        (conf / "jupyter_server_config.d" / "off.json").write_text(json.dumps(HOSTILE_CONFIG))
        (conf / "jupyter_server_config.py").write_text(
            "c.ServerApp.jpserver_extensions = {'tre.workspace.serverext': False}\n"
            "c.ServerApp.extra_static_paths = ['" + str(data) + "']\n"
        )


def _start_server(root: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = dict(
        os.environ,
        HOME=str(root),
        JUPYTER_CONFIG_DIR=str(CONFIG_DIR),
        PYTHONNOUSERSITE="1",
        TRE_DATA_DIR=str(root / "data"),
        JUPYTER_RUNTIME_DIR=str(root.parent / "runtime"),
        TRE_WORKSPACE_LIMITS=SMALL_LIMITS.to_env(),
    )
    env.pop("JUPYTER_CONFIG_PATH", None)
    cmd = [
        str(Path(sys.executable).with_name("jupyter-server")),
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.token={TOKEN}",
        f"--ServerApp.root_dir={root}",
        *extra,
    ]
    log = (root.parent / f"server-{port}.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((root.parent / f"server-{port}.log").read_text())
        try:
            if httpx.get(f"{url}/api/status", params={"token": TOKEN}).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("jupyter server did not start")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("jupyter") / "home"
    root.mkdir()
    _make_home(root)
    return root


@pytest.fixture(scope="module")
def api(home: Path) -> Iterator[httpx.Client]:
    proc, url = _start_server(home)
    try:
        with httpx.Client(
            base_url=url, headers={"Authorization": f"token {TOKEN}"}, timeout=30
        ) as client:
            yield client
    finally:
        _stop(proc)


def _contents(path: str) -> str:
    return f"/api/contents/{path}"


# --- attacks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["data/x.parquet", "data/notes.txt", "work/t.txt", "link.parquet", "linkdir/x.parquet"]
)
def test_files_endpoint_is_forbidden(api: httpx.Client, path: str) -> None:
    response = api.get(f"/files/{path}")
    assert response.status_code == 403
    assert b"PAR1" not in response.content


@pytest.mark.parametrize("path", ["data/x.parquet", "link.parquet", "linkdir/x.parquet"])
@pytest.mark.parametrize("params", [{"content": "1"}, {"content": "1", "format": "base64"}])
def test_data_content_is_refused_also_through_symlinks(
    api: httpx.Client, path: str, params: dict[str, str]
) -> None:
    response = api.get(_contents(path), params=params)
    assert response.status_code == 403
    assert "content" not in response.json() or response.json().get("content") is None


def test_text_under_data_is_refused(api: httpx.Client) -> None:
    for params in ({"content": "1"}, {"content": "1", "format": "text", "type": "file"}):
        response = api.get(_contents("data/notes.txt"), params=params)
        assert response.status_code == 403
        assert "text inside" not in response.text


def test_base64_is_refused_anywhere(api: httpx.Client) -> None:
    binary = api.get(_contents("work/img.bin"), params={"content": "1"})
    assert binary.status_code == 403
    forced = api.get(_contents("work/t.txt"), params={"content": "1", "format": "base64"})
    assert forced.status_code == 403


def test_rename_out_of_data_is_refused(api: httpx.Client, home: Path) -> None:
    for source in ("data/x.parquet", "link.parquet", "data/sub", "linkdir/sub"):
        response = api.patch(_contents(source), json={"path": "work/moved"})
        assert response.status_code == 403, source
        assert not (home / "work" / "moved").exists()
    assert (home / "data" / "x.parquet").is_file()
    assert (home / "link.parquet").is_symlink()


def test_rename_and_copy_into_data_are_refused(api: httpx.Client, home: Path) -> None:
    response = api.patch(_contents("work/t.txt"), json={"path": "data/t.txt"})
    assert response.status_code == 403
    assert (home / "work" / "t.txt").is_file()
    copied = api.post(_contents("data"), json={"copy_from": "work/t.txt"})
    assert copied.status_code == 403
    assert not (home / "data" / "t.txt").exists()


@pytest.mark.parametrize("source", ["data/x.parquet", "link.parquet", "data", "data/sub", "tree"])
def test_copy_out_of_data_is_refused(api: httpx.Client, home: Path, source: str) -> None:
    before = sorted(p.name for p in (home / "work").iterdir())
    response = api.post(_contents("work"), json={"copy_from": source})
    assert response.status_code == 403
    assert sorted(p.name for p in (home / "work").iterdir()) == before


def test_writes_and_checkpoints_in_data_are_refused(api: httpx.Client, home: Path) -> None:
    put = api.put(
        _contents("data/new.txt"), json={"type": "file", "format": "text", "content": "x"}
    )
    assert put.status_code == 403
    assert not (home / "data" / "new.txt").exists()
    checkpoint = api.post(_contents("link.parquet") + "/checkpoints")
    assert checkpoint.status_code == 403
    assert api.delete(_contents("data/notes.txt")).status_code == 403
    assert (home / "data" / "notes.txt").is_file()


def test_notebook_export_is_forbidden(api: httpx.Client) -> None:
    notebook = {"type": "notebook", "content": _notebook("print(1)")}
    assert api.put(_contents("work/export.ipynb"), json=notebook).status_code in (200, 201)
    response = api.get("/nbconvert/html/work/export.ipynb", params={"download": "true"})
    assert response.status_code == 403


def test_hostile_user_config_did_not_switch_the_guard_off(api: httpx.Client) -> None:
    assert api.get("/static/x.parquet").status_code == 404
    assert api.get("/files/work/t.txt").status_code == 403


def test_lab_page_disables_download_commands(api: httpx.Client) -> None:
    page = api.get("/lab")
    assert page.status_code == 200
    match = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
        page.text,
        re.S,
    )
    assert match is not None
    disabled = json.loads(match.group(1))["disabledExtensions"]
    for plugin in (
        "@jupyterlab/docmanager-extension:download",
        "@jupyterlab/filebrowser-extension:download",
        "@jupyterlab/notebook-extension:export",
    ):
        assert plugin in disabled


# --- what must keep working --------------------------------------------------------------


def _notebook(source: str) -> dict[str, object]:
    return {
        "cells": [{"cell_type": "code", "metadata": {}, "source": source, "outputs": []}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_directory_listing_and_metadata_of_data_stay_visible(api: httpx.Client) -> None:
    listing = api.get(_contents("data"), params={"content": "1"})
    assert listing.status_code == 200
    assert {item["name"] for item in listing.json()["content"]} >= {"x.parquet", "sub"}
    meta = api.get(_contents("data/x.parquet"), params={"content": "0"})
    assert meta.status_code == 200
    assert meta.json()["content"] is None


def test_notebooks_and_text_open_and_save(api: httpx.Client, home: Path) -> None:
    saved = api.put(
        _contents("work/analysis.ipynb"), json={"type": "notebook", "content": _notebook("1+1")}
    )
    assert saved.status_code in (200, 201)
    opened = api.get(_contents("work/analysis.ipynb"), params={"content": "1"})
    assert opened.status_code == 200
    assert opened.json()["content"]["cells"][0]["source"] == "1+1"

    text = {"type": "file", "format": "text", "content": "results\n"}
    assert api.put(_contents("work/notes.md"), json=text).status_code in (200, 201)
    got = api.get(_contents("work/notes.md"), params={"content": "1"})
    assert got.status_code == 200
    assert got.json()["content"] == "results\n"
    assert api.post(_contents("work/notes.md") + "/checkpoints").status_code == 201


def test_copies_and_renames_inside_the_workspace_work(api: httpx.Client, home: Path) -> None:
    assert api.post(_contents("work"), json={"copy_from": "work/t.txt"}).status_code == 201
    assert api.post(_contents("work"), json={"copy_from": "work/img.bin"}).status_code == 201
    assert api.post(_contents(""), json={"copy_from": "work/clean"}).status_code == 201
    assert (home / "clean" / "a.txt").read_text() == "hello\n"
    renamed = api.patch(_contents("work/clean/a.txt"), json={"path": "work/clean/b.txt"})
    assert renamed.status_code == 200
    assert (home / "work" / "clean" / "b.txt").is_file()


def test_guard_fails_closed_with_another_contents_manager(home: Path) -> None:
    proc, url = _start_server(
        home,
        "--ServerApp.contents_manager_class="
        "jupyter_server.services.contents.largefilemanager.AsyncLargeFileManager",
    )
    try:
        headers = {"Authorization": f"token {TOKEN}"}
        assert httpx.get(f"{url}/api/contents/work", headers=headers).status_code == 403
        assert httpx.get(f"{url}/files/data/x.parquet", headers=headers).status_code == 403
    finally:
        _stop(proc)


def test_is_under_compares_whole_path_components() -> None:
    assert is_under("/home/jovyan/data", "/home/jovyan/data")
    assert is_under("/home/jovyan/data/x", "/home/jovyan/data")
    assert not is_under("/home/jovyan/data2/x", "/home/jovyan/data")
    assert not is_under("/home/jovyan", "/home/jovyan/data")


# --- what the browser may have: notebooks and code, within caps ---------------------------


def test_only_notebooks_and_code_open_within_their_caps(api: httpx.Client, home: Path) -> None:
    (home / "work" / "rows.csv").write_text("person,year\n1,1950\n")
    (home / "work" / "big.txt").write_text("x" * (300 * KIB))
    (home / "work" / "ok.sql").write_text("select 1;\n")
    refused = api.get(_contents("work/rows.csv"), params={"content": "1"})
    assert refused.status_code == 403
    assert "airlock" in refused.json()["message"]
    too_big = api.get(_contents("work/big.txt"), params={"content": "1"})
    assert too_big.status_code == 403
    assert "256 KiB" in too_big.json()["message"]
    assert api.get(_contents("work/ok.sql"), params={"content": "1"}).json()["content"] == (
        "select 1;\n"
    )
    listing = api.get(_contents("work"), params={"content": "1"}).json()["content"]
    assert {i["name"]: i["size"] for i in listing}["big.txt"] == 300 * KIB


def test_uploads_take_only_code_within_caps(api: httpx.Client, home: Path) -> None:
    parquet = base64.b64encode((home / "data" / "x.parquet").read_bytes()).decode()
    refused = {
        "work/x.py": {"type": "file", "format": "base64", "content": parquet},
        "work/in-rows.csv": {"type": "file", "format": "text", "content": "1,1950\n"},
        "work/part.py": {"type": "file", "format": "base64", "content": "eA==", "chunk": 1},
        "work/big.md": {"type": "file", "format": "text", "content": "y" * (300 * KIB)},
    }
    for path, model in refused.items():
        response = api.put(_contents(path), json=model)
        assert response.status_code == 403, path
        assert not (home / path).exists(), path
    code = base64.b64encode(b"print('uploaded')\n").decode()
    accepted = api.put(_contents("work/up.py"), json={"type": "file", "format": "base64",
                                                      "content": code})  # fmt: skip
    assert accepted.status_code in (200, 201)
    assert (home / "work" / "up.py").read_text() == "print('uploaded')\n"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/config/notebook"),
        ("PUT", "/api/config/notebook"),
        ("GET", "/api/terminals"),
        ("POST", "/api/terminals"),
        ("GET", "/metrics"),
        ("GET", "/api/spec.yaml"),
        ("POST", "/api/events"),
        ("POST", "/lab/api/extensions"),
        ("POST", "/lab/api/plugins"),
        ("GET", "/kernelspecs/python3/kernel.json"),
    ],
)
def test_closed_endpoints_answer_403(api: httpx.Client, method: str, path: str) -> None:
    assert api.request(method, path, json={}).status_code == 403


def test_kernel_logos_are_still_served(api: httpx.Client) -> None:
    assert api.get("/kernelspecs/python3/logo-64x64.png").status_code == 200


def test_kernel_output_is_capped_and_paused(api: httpx.Client) -> None:
    import uuid

    import websocket

    kernel = api.post("/api/kernels", json={}).json()["id"]
    url = str(api.base_url).replace("http://", "ws://") + f"/api/kernels/{kernel}/channels"
    ws = websocket.create_connection(url, header=[f"Authorization: token {TOKEN}"], timeout=60)

    def run(code: str) -> list[dict[str, object]]:
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "t",
                  "session": uuid.uuid4().hex, "version": "5.3"}  # fmt: skip
        content = {"code": code, "silent": False, "store_history": False}
        ws.send(json.dumps({"header": header, "parent_header": {}, "metadata": {},
                            "content": content, "channel": "shell"}))  # fmt: skip
        got = []
        while True:
            msg = json.loads(ws.recv())
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            got.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return got

    try:
        printed = run("for i in range(20000): print('row-data', i, 'x' * 40)")
        shown = "".join(m["content"]["text"] for m in printed if m["msg_type"] == "stream")  # type: ignore[index]
        assert shown.count("row-data") < 20000 / 2
        # Paused once the burst is spent, or (when the kernel batches prints into one large
        # message, as it does on a busy machine) not shown for its size.
        assert "Output paused" in shown or "not shown" in shown
        big = run("from IPython.display import display, HTML; display(HTML('z' * 400_000))")
        kinds = [m["msg_type"] for m in big]
        assert "display_data" not in kinds
        assert "not shown" in json.dumps([m["content"] for m in big])
        pasted = run("x = '" + "q" * (300 * KIB) + "'")
        assert any(m["msg_type"] == "execute_reply" and m["content"]["status"] == "error"  # type: ignore[index]
                   for m in pasted)  # fmt: skip
    finally:
        ws.close()
        api.delete(f"/api/kernels/{kernel}")
