"""The built workspace image, attacked from outside: a real container, a read-only data mount,
the non-root user, and hostile configuration in the analyst's home.

Needs the image (`tre image build`, or `.ci/images` in CI). Traffic goes only to the
container's port published on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from ws_hub import TEST_LABEL_FILTER, TEST_LABELS

from tre.workspace.spawner import workspace_environment

pytestmark = pytest.mark.docker

IMAGE = os.environ.get("TRE_TEST_WORKSPACE_IMAGE", "tre-workspace:latest")
TOKEN = "image-test-token"
LABELS = dict(TEST_LABELS)
HOSTILE = (
    "mkdir -p ~/.jupyter ~/.local/etc/jupyter/jupyter_server_config.d && "
    "for d in ~/.jupyter ~/.local/etc/jupyter; do "
    "printf '%s' \"$HOSTILE_JSON\" > $d/jupyter_server_config.json; "
    "printf '%s' \"$HOSTILE_PY\" > $d/jupyter_server_config.py; done && "
    "printf '%s' \"$HOSTILE_JSON\" > ~/.local/etc/jupyter/jupyter_server_config.d/off.json && "
    "ln -sf /home/jovyan/data/x.parquet ~/link.parquet && "
    "mkdir -p ~/work && echo hello > ~/work/t.txt && "
    "exec jupyter server --ip=0.0.0.0 --port=8888 --no-browser --ServerApp.token=" + TOKEN
)
HOSTILE_JSON = (
    '{"ServerApp": {"jpserver_extensions": {"tre.workspace.serverext": false},'
    ' "contents_manager_class":'
    ' "jupyter_server.services.contents.largefilemanager.AsyncLargeFileManager"}}'
)
HOSTILE_PY = (
    "c.ServerApp.jpserver_extensions = {'tre.workspace.serverext': False}\n"
    "c.ServerApp.extra_static_paths = ['/home/jovyan/data']\n"
)


@pytest.fixture(scope="module")
def docker_client() -> Iterator[Any]:
    import docker

    client = docker.from_env()
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        message = f"{IMAGE} is not built; run `tre image build`"
        if os.environ.get("TRE_REQUIRE_DOCKER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    yield client
    for container in client.containers.list(all=True, filters={"label": TEST_LABEL_FILTER}):
        container.remove(force=True)
    client.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("extract") / "data"
    data.mkdir()
    con = duckdb.connect()
    con.execute(f"COPY (SELECT range AS n FROM range(1000)) TO '{data / 'x.parquet'}'")
    con.close()
    (data / "notes.txt").write_text("text in the extract\n")
    data.chmod(0o755)
    for path in data.iterdir():
        path.chmod(0o644)
    return data


@pytest.fixture(scope="module")
def workspace(docker_client: Any, data_dir: Path) -> Iterator[tuple[Any, str]]:
    container = docker_client.containers.run(
        IMAGE,
        ["sh", "-c", HOSTILE],
        detach=True,
        labels=LABELS,
        environment={"HOSTILE_JSON": HOSTILE_JSON, "HOSTILE_PY": HOSTILE_PY},
        volumes={str(data_dir): {"bind": "/home/jovyan/data", "mode": "ro"}},
        ports={"8888/tcp": ("127.0.0.1", None)},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        pids_limit=256,
    )
    try:
        url = _wait_ready(container)
        yield container, url
    finally:
        container.remove(force=True)


def _wait_ready(container: Any) -> str:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        container.reload()
        if container.status == "exited":
            raise AssertionError(container.logs().decode(errors="replace")[-3000:])
        binding = (container.ports.get("8888/tcp") or [None])[0]
        if binding:
            url = f"http://127.0.0.1:{binding['HostPort']}"
            try:
                if httpx.get(f"{url}/api/status", params={"token": TOKEN}).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
        time.sleep(0.3)
    raise AssertionError(container.logs().decode(errors="replace")[-3000:])


@pytest.fixture
def api(workspace: tuple[Any, str]) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=workspace[1], headers={"Authorization": f"token {TOKEN}"}, timeout=30
    ) as client:
        yield client


def _exec(container: Any, command: str, user: str = "1000") -> tuple[int, str]:
    code, output = container.exec_run(["sh", "-c", command], user=user)
    return int(code), output.decode(errors="replace")


def test_runs_as_the_analyst_not_root(workspace: tuple[Any, str]) -> None:
    container, _ = workspace
    code, out = _exec(container, "id -u; id -g")
    assert code == 0
    assert out.split() == ["1000", "1000"]
    code, out = _exec(container, "ps -o user= -p 1 2>/dev/null || stat -c %u /proc/1")
    assert out.strip() in {"1000", "jovyan"}


def test_jupyter_config_is_root_owned_and_not_writable(workspace: tuple[Any, str]) -> None:
    container, _ = workspace
    code, out = _exec(container, "echo $JUPYTER_CONFIG_DIR; stat -c '%u %a' /etc/jupyter")
    assert out.split() == ["/etc/jupyter", "0", "755"]
    code, _out = _exec(container, "echo x >> /etc/jupyter/jupyter_server_config.json")
    assert code != 0
    code, _out = _exec(container, "touch /etc/jupyter/new.json")
    assert code != 0


def test_data_mount_is_read_only(workspace: tuple[Any, str], data_dir: Path) -> None:
    container, _ = workspace
    code, out = _exec(container, "touch /home/jovyan/data/new 2>&1")
    assert code != 0
    assert "Read-only" in out
    code, _out = _exec(container, "rm -f /home/jovyan/data/x.parquet")
    assert code != 0
    assert sorted(p.name for p in data_dir.iterdir()) == ["notes.txt", "x.parquet"]


def test_download_endpoints_are_closed(api: httpx.Client) -> None:
    for path in ("data/x.parquet", "link.parquet", "work/t.txt"):
        assert api.get(f"/files/{path}").status_code == 403
    for path in ("data/x.parquet", "link.parquet", "data/notes.txt"):
        assert api.get(f"/api/contents/{path}", params={"content": "1"}).status_code == 403
    base64 = api.get("/api/contents/work/t.txt", params={"content": "1", "format": "base64"})
    assert base64.status_code == 403
    # The hostile ~/.jupyter config tried to serve the data as static files.
    assert api.get("/static/x.parquet").status_code == 404


def test_copy_and_rename_out_of_data_leave_nothing(
    api: httpx.Client, workspace: tuple[Any, str]
) -> None:
    container, _ = workspace
    assert api.post("/api/contents/work", json={"copy_from": "data/x.parquet"}).status_code == 403
    assert api.post("/api/contents/work", json={"copy_from": "data"}).status_code == 403
    assert api.post("/api/contents/work", json={"copy_from": "link.parquet"}).status_code == 403
    moved = api.patch("/api/contents/data/x.parquet", json={"path": "work/x.parquet"})
    assert moved.status_code == 403
    code, out = _exec(container, "find /home/jovyan -path /home/jovyan/data -prune -o -print")
    assert code == 0
    assert "x.parquet" not in out.replace("/home/jovyan/link.parquet", "")


def test_text_and_notebooks_work_and_kernel_reads_data(api: httpx.Client) -> None:
    text = {"type": "file", "format": "text", "content": "findings\n"}
    assert api.put("/api/contents/work/notes.md", json=text).status_code in (200, 201)
    got = api.get("/api/contents/work/notes.md", params={"content": "1"})
    assert got.status_code == 200
    assert got.json()["content"] == "findings\n"
    listing = api.get("/api/contents/data", params={"content": "1"})
    assert {item["name"] for item in listing.json()["content"]} == {"notes.txt", "x.parquet"}


def test_analysis_libraries_read_the_extract(workspace: tuple[Any, str]) -> None:
    container, _ = workspace
    script = (
        "import duckdb, polars, pandas, pyarrow.parquet as pq, acro; "
        "con = duckdb.connect(); "
        "n = con.execute(\"select count(*) from '/home/jovyan/data/x.parquet'\").fetchone()[0]; "
        "assert n == pq.read_table('/home/jovyan/data/x.parquet').num_rows "
        "== polars.read_parquet('/home/jovyan/data/x.parquet').height; print(n)"
    )
    code, output = container.exec_run(["python", "-c", script], user="1000")
    out = output.decode(errors="replace")
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "1000"


def test_client_speaks_the_workspace_language(workspace: tuple[Any, str]) -> None:
    """The image carries the catalogues and their reader: with TRE_LOCALE=ja (as the spawner
    sets it from the deployment's locale) the pre-check and the client answer in Japanese."""
    container, _ = workspace
    script = (
        "import re; from tre import client\n"
        "open('/tmp/t.csv', 'w').write('region,n\\nA,3\\nB,50\\n')\n"
        "report = client.check('/tmp/t.csv')\n"
        "print(report.verdict, [f.message for f in report.findings])\n"
        "try:\n    client.connect()\nexcept client.ExtractNotFound as e:\n    print(e)\n"
    )
    code, output = container.exec_run(
        ["python", "-c", script], user="1000", environment={"TRE_LOCALE": "ja"}
    )
    out = output.decode(errors="replace")
    assert code == 0, out
    verdict, missing = out.strip().splitlines()[-2:]
    assert verdict.startswith("block"), out
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", verdict), out  # kana or kanji
    assert "管理者" in missing, out


def test_pre_check_recognises_outputs_in_the_workspace(workspace: tuple[Any, str]) -> None:
    """The in-workspace pre-check runs the gate's recognition with only what the image
    installs: a picture carrying rows after its end, a transposed person table (its headers
    named by position), a rate beside its denominator, short pseudonyms under 'ref'."""
    container, _ = workspace
    script = (
        "import struct, zlib; from tre import client\n"
        "def chunk(k, b): return struct.pack('>I', len(b)) + k + b + "
        "struct.pack('>I', zlib.crc32(k + b))\n"
        "png = (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 1, 1, 8, 0, 0, "
        "0, 0)) + chunk(b'IDAT', zlib.compress(b'\\x00\\x80')) + chunk(b'IEND', b'') + "
        "b''.join(b'%032x,%d\\n' % (k * 7919, k) for k in range(30)))\n"
        "open('/tmp/p.png', 'wb').write(png)\n"
        "open('/tmp/t.csv', 'w').write('attribute,Patient 1,Patient 2,Patient 3\\n"
        "age,71,64,58\\nsex,F,M,F\\nregion,Kanto,Kinki,Chubu\\n')\n"
        "open('/tmp/r.csv', 'w').write('group,N,pct\\nold,212,2.4\\nyoung,900,30.1\\n')\n"
        "open('/tmp/s.csv', 'w').write('ref,visits\\n' + ''.join("
        "'%08x,%d\\n' % (k * 2654435761 % 2**32, 12 + k) for k in range(1, 21)))\n"
        "for f in ('/tmp/p.png', '/tmp/t.csv', '/tmp/r.csv', '/tmp/s.csv'):\n"
        "    r = client.check(f)\n"
        "    print(r.verdict, sorted({x.rule for x in r.findings if x.severity == 'block'}))\n"
        "open('/tmp/h.csv', 'w').write('region,n,Qz7x9Kp2Lm4W\\nKanto,40,25\\nKinki,30,3\\n')\n"
        "print([c for x in client.check('/tmp/h.csv').findings for c in x.cells])\n"
    )
    code, output = container.exec_run(["python", "-c", script], user="1000")
    out = output.decode(errors="replace")
    assert code == 0, out
    lines = out.strip().splitlines()[-5:]
    assert lines[0] == "block ['hidden-data']", out
    assert lines[1].startswith("block") and "'transposed-persons'" in lines[1], out
    assert lines[2] == "block ['derived-count']", out
    assert lines[3] == "block ['pseudonym-like']", out
    assert lines[4] == "[(1, '#3')]", out  # a header that is an identifier: by position


def test_analyst_can_save_jupyterlab_settings(api: httpx.Client) -> None:
    """Themes, fonts, the display language: saved in the home, not the root-owned config."""
    theme = {"raw": '{"theme": "JupyterLab Dark"}'}
    saved = api.put("/lab/api/settings/@jupyterlab/apputils-extension:themes", json=theme)
    assert saved.status_code == 204, saved.text
    got = api.get("/lab/api/settings/@jupyterlab/apputils-extension:themes").json()
    assert got["settings"]["theme"] == "JupyterLab Dark"


def test_writable_settings_cannot_re_enable_the_download_plugins(api: httpx.Client) -> None:
    """Settings are writable now; which plugins run is still root-owned page config."""
    plugin = "@jupyterlab/docmanager-extension:download"
    enabled = api.post("/lab/api/extensions", json={"cmd": "enable", "extension_name": plugin})
    assert enabled.status_code >= 400
    settings = {"raw": '{"disabled": false}'}
    api.put(f"/lab/api/settings/{plugin}", json=settings)  # whatever it answers, it is moot:
    page = api.get("/lab").text
    disabled = re.search(r'"disabledExtensions": \[([^\]]*)\]', page)
    assert disabled is not None
    for name in (plugin, "@jupyterlab/filebrowser-extension:download"):
        assert f'"{name}"' in disabled.group(1)


@pytest.mark.parametrize(("locale", "expected"), [("ja", "ja_JP"), ("en", "default")])
def test_jupyterlab_speaks_the_deployment_language(
    docker_client: Any, locale: str, expected: str
) -> None:
    """With the environment the spawner gives a container, JupyterLab's display language
    defaults to the deployment's TRE_LOCALE, and the Japanese language pack is there."""
    container = docker_client.containers.run(
        IMAGE,
        ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser",
         f"--ServerApp.token={TOKEN}"],
        detach=True,
        labels=LABELS,
        environment=workspace_environment(locale, "p-1"),
        ports={"8888/tcp": ("127.0.0.1", None)},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
    )  # fmt: skip
    try:
        url = _wait_ready(container)
        headers = {"Authorization": f"token {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as api:
            plugin = api.get("/lab/api/settings/@jupyterlab/translation-extension:plugin").json()
            assert plugin["schema"]["properties"]["locale"]["default"] == expected
            packs = api.get("/lab/api/translations/").json()["data"]
            assert "ja_JP" in packs
            japanese = api.get("/lab/api/translations/ja_JP").json()["data"]
            assert japanese["jupyterlab"][""]["language"] == "ja-JP"
    finally:
        container.remove(force=True)


def test_tre_image_build_reuses_caches(
    docker_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from tre.cli import main

    main(["image", "build", "--json", "--tag", IMAGE])
    result = json.loads(capsys.readouterr().out)
    assert result["image"] == IMAGE
    assert result["base_built"] is False
    assert result["wheelhouse_built"] is False
    assert docker_client.images.get(IMAGE).id == result["image_id"]
