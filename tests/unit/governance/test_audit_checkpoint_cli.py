"""`tre audit verify --checkpoints FILE|URL`, `checkpoint`, `rotate-key`, `keys`, and the
public register's checkpoint (page and JSON, served by the real portal on loopback)."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn
from checkpoint_help import append, truncate
from cli_accounts import run_tre

from tre import users
from tre.checkpoint import keys, store
from tre.cli.init import initialise
from tre.config import Settings
from tre.web.app import create_app

with warnings.catch_warnings():  # starlette warns that it prefers httpx2 (not installed)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PREFIX = "/services/portal"
JSON_PATH = f"{PREFIX}/register/audit-checkpoints.json"


@pytest.fixture
def tre_site(gov: Settings) -> Settings:
    """`tre init` done, ada the first admin, three audited changes signed."""
    initialise(gov)
    users.add_user(gov, "ada", "ada", ["admin"])
    append(gov, 2)
    return gov


def tre(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    user: str = "ada",
) -> tuple[int, str, str]:
    """Run `tre ARGS` in-process as `user`; (exit code, stdout, stderr)."""
    code, out, err = run_tre(monkeypatch, capsys, user, *args)
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> partial[tuple[int, str, str]]:
    return partial(tre, monkeypatch, capsys)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on loopback: (folder, base URL)."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietFiles, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def portal_url(tre_site: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The portal as the hub runs it (under /services/portal), served on loopback."""
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", PREFIX + "/")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(tre_site), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the portal did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# --- verify ----------------------------------------------------------------------------------
def test_verify_uses_the_local_file_and_says_so(tre_site: Settings, run: partial) -> None:
    code, out, _err = run("audit", "verify")
    assert code == 0
    assert "Audit chain verified: 3 events" in out  # user.add and two changes
    assert "own checkpoints file" in out and "--checkpoints" in out
    code, out, _err = run("audit", "verify", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["checkpoints"]["local_file"]
    assert data["checkpoints"]["source"] == str(tre_site.audit_checkpoints_path)
    assert data["checkpoints"]["checked"] == 4 and data["checkpoints"]["newest_event"] == 3


def test_verify_against_a_url_names_the_checkpoint_a_cut_log_contradicts(
    tre_site: Settings, run: partial, file_server: tuple[Path, str]
) -> None:
    folder, base = file_server
    append(tre_site, 2)
    shutil.copyfile(tre_site.audit_checkpoints_path, folder / "kept.jsonl")
    key = keys.require(tre_site).verifier.vkey
    url = f"{base}/kept.jsonl"
    code, out, _err = run("audit", "verify", "--checkpoints", url, "--key", key)
    assert code == 0 and "own checkpoints file" not in out and url in out
    truncate(tre_site, 3)
    code, out, err = run("audit", "verify", "--checkpoints", url, "--key", key, "--json")
    assert code == 7
    assert err.startswith("AuditChainBroken: the audit log contradicts the checkpoint at line 5")
    assert "(4 events, signed " in err and "shortened" in err
    assert json.loads(out)["checkpoints"]["contradicted"]["events"] == 4
    code, _out, err = run("audit", "verify")  # the local file still holds the longer log
    assert code == 7 and "line 5 of" in err


def test_copies_of_the_portal_json_catch_a_rewrite(
    tre_site: Settings, run: partial, portal_url: str, tmp_path: Path
) -> None:
    """A collector fetches the JSON now and then and keeps every copy, one per line."""
    import httpx

    kept = tmp_path / "collected.jsonl"
    with kept.open("w") as fh:
        for _ in range(3):
            append(tre_site, 1)
            fh.write(httpx.get(portal_url + JSON_PATH).text + "\n")
    assert run("audit", "verify", "--checkpoints", str(kept))[0] == 0
    assert run("audit", "verify", "--checkpoints", portal_url + JSON_PATH)[0] == 0
    truncate(tre_site, 4)
    code, _out, err = run("audit", "verify", "--checkpoints", str(kept))
    assert code == 7 and "line 2 of" in err and "(5 events" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "There is no checkpoints file at"),
        ("", "holds no checkpoint"),
        ("hello\nworld\n", "Line 1 of"),
        ('{"checkpoint": 1}\n', "is not a checkpoints file"),
        ('{"no": "checkpoint"}\n', "is not a checkpoints file"),
        ("{not json\n", "is not a checkpoints file"),
        ('{"checkpoint":"x\\n1\\n\\n— x AAAA\\n"}\n', "Line 1 of"),
        (b"\xff\xfe\x00garbage\n", "is not UTF-8 text"),
        ("folder", "is a folder, not a file"),
    ],
)
def test_unreadable_or_malformed_sources_are_clear_errors(
    tre_site: Settings,
    run: partial,
    tmp_path: Path,
    content: str | bytes | None,
    expected: str,
) -> None:
    path = tmp_path / "source.jsonl"
    if content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    code, _out, err = run("audit", "verify", "--checkpoints", str(path))
    assert code == 6, err
    assert expected in err and len(err.strip().splitlines()) == 1


def test_a_bad_line_among_good_ones_is_named(tre_site: Settings, run: partial) -> None:
    with tre_site.audit_checkpoints_path.open("a") as fh:
        fh.write('{"checkpoint": "not a note"}\n')
    code, _out, err = run("audit", "verify")
    assert code == 6 and f"Line 5 of {tre_site.audit_checkpoints_path}" in err


def test_url_errors_are_clear(
    tre_site: Settings, run: partial, file_server: tuple[Path, str]
) -> None:
    _folder, base = file_server
    code, _out, err = run("audit", "verify", "--checkpoints", f"{base}/missing.json")
    assert code == 6 and "answered HTTP 404" in err
    code, _out, err = run("audit", "verify", "--checkpoints", f"http://127.0.0.1:{_free_port()}/")
    assert code == 6 and "could not be fetched" in err and "ConnectError" in err


def test_a_malformed_key_is_refused(tre_site: Settings, run: partial) -> None:
    code, _out, err = run("audit", "verify", "--key", "not-a-key")
    assert code == 6 and "--key is not a verifier key" in err


def test_verify_needs_a_key_to_trust(tre_site: Settings, run: partial) -> None:
    tre_site.audit_key_path.unlink()  # as on another machine
    code, _out, err = run("audit", "verify")
    assert code == 6 and "--key" in err


# --- checkpoint, rotate-key, keys -----------------------------------------------------------
def test_checkpoint_rotate_and_keys_commands(tre_site: Settings, run: partial) -> None:
    code, out, _err = run("audit", "checkpoint", "--json")
    assert code == 0 and json.loads(out)["signed"] is False and json.loads(out)["events"] == 3
    old = keys.require(tre_site).verifier.vkey
    code, out, _err = run("audit", "rotate-key", "--json")
    rotated = json.loads(out)
    assert code == 0 and rotated["outgoing"] == old and rotated["incoming"] != old
    code, out, _err = run("audit", "keys", "--json")
    shown = json.loads(out)
    assert shown["key"] == rotated["incoming"]
    assert [(k["key"], k["signs_from_event"]) for k in shown["keys"]] == [
        (old, 0),
        (rotated["incoming"], 4),
    ]
    code, out, _err = run("audit", "verify", "--key", old)
    assert code == 0, out


def test_only_an_admin_rotates_or_signs(tre_site: Settings, run: partial) -> None:
    users.add_user(tre_site, "ada", "chk", ["output_checker"])
    key = tre_site.audit_key_path.read_text()
    for command, reason in (("rotate-key", "rotate"), ("checkpoint", "sign")):
        code, _out, err = run("audit", command, user="chk")
        assert code == 3 and f"only an admin may {reason}" in err
    assert tre_site.audit_key_path.read_text() == key


# --- the public register -------------------------------------------------------------------
def test_register_shows_the_newest_checkpoint_and_the_key(tre_site: Settings) -> None:
    client = TestClient(create_app(tre_site))
    newest = store.decode_line(tre_site.audit_checkpoints_path.read_text().splitlines()[-1])
    key = keys.require(tre_site).verifier
    vkey = key.vkey
    page = client.get("/register")
    assert page.status_code == 200
    assert vkey in page.text and newest.splitlines()[2] in page.text
    assert "audit-checkpoints.json" in page.text
    data = client.get("/register/audit-checkpoints.json")
    assert data.headers["cache-control"] == "no-cache"
    assert data.json() == {
        "checkpoint": newest,
        "key": vkey,
        "keys": [{"key": vkey, "key_id": key.key_ref, "signs_from_event": 0}],
    }
    ja = client.get("/register?lang=ja").text
    assert "監査ログのチェックポイント" in ja and vkey in ja


def test_register_before_init_shows_nothing_published(gov: Settings) -> None:
    client = TestClient(create_app(gov))
    assert "No checkpoint has been published yet." in client.get("/register").text
    data = client.get("/register/audit-checkpoints.json").json()
    assert data == {"checkpoint": None, "key": None, "keys": []}
