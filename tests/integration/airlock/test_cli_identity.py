"""Who the command line acts as, attacked: an operating-system account that is not mapped,
TRE_USER naming an admin for an account mapped to an analyst, $USER and $LOGNAME forged, the
mapping smuggled in through the environment, and hub API tokens that are forged, expired,
revoked, a service's, or someone else's. Each is refused with a reason and audited; nothing
the command asked for is done."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cli_accounts import allow_cli, os_account
from sqlalchemy import select

from tre.cli import main
from tre.config import Settings
from tre.db import User, session_scope
from tre.db.models import AuditEvent
from tre.workspace.proxy import proxy_command

World = tuple[Settings, str]


def tre(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `tre ARGS --json` in-process; return (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        main([*args, "--json"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def refusals(settings: Settings) -> list[dict[str, object]]:
    with session_scope(settings) as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "cli.identity_refused")
        ).all()
        return [{"actor": e.actor, "object": e.object_id, **json.loads(e.body)} for e in events]


def users(settings: Settings) -> set[str]:
    with session_scope(settings) as session:
        return {u.username for u in session.scalars(select(User))}


def test_an_unmapped_account_is_refused_and_audited(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _project = world
    (settings.home_path / "tre.toml").unlink()
    code, out, err = tre(capsys, "user", "list")  # no mapping at all
    assert code == 3 and json.loads(out)["error"] == "IdentityRefused"
    assert f"'{os_account()}' may not use the TRE command line" in err
    assert "cli_accounts" in err and err.count("\n") == 1
    (settings.home_path / "tre.toml").write_text('cli_accounts = ["operator:ada"]\n')
    code, _out, err = tre(capsys, "user", "add", "mallory", "--role", "admin")
    assert code == 3 and "may not use the TRE command line" in err
    assert "mallory" not in users(settings)
    assert [(r["actor"], r["reason"]) for r in refusals(settings)] == [
        (f"os:{os_account()}", "unmapped"),
        (f"os:{os_account()}", "unmapped"),
    ]


def test_tre_user_cannot_make_an_analyst_an_admin(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _project = world
    (settings.home_path / "tre.toml").unlink()
    allow_cli(settings.home_path, "lena")  # this account is lena's, an analyst
    monkeypatch.setenv("TRE_USER", "ada")
    code, out, err = tre(capsys, "user", "add", "mallory", "--role", "admin")
    assert code == 3 and json.loads(out)["error"] == "IdentityRefused"
    assert "TRE_USER=ada is refused" in err and "It may act as: lena." in err
    assert "mallory" not in users(settings)
    (refused,) = refusals(settings)
    assert refused["asked_for"] == "ada" and refused["reason"] == "not_mapped"
    # Without TRE_USER the account acts as lena, and lena is no admin.
    monkeypatch.delenv("TRE_USER")
    code, out, _err = tre(capsys, "user", "add", "mallory", "--role", "admin")
    assert code == 3 and json.loads(out)["error"] == "PolicyDenied"
    assert "mallory" not in users(settings)


def test_user_and_logname_do_not_choose_the_account(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _project = world
    (settings.home_path / "tre.toml").write_text('cli_accounts = ["ada:ada"]\n')
    for variable in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.setenv(variable, "ada")
    code, _out, err = tre(capsys, "user", "list")
    assert code == 3 and f"'{os_account()}' may not use" in err


def test_the_mapping_cannot_come_from_the_environment(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRE_CLI_ACCOUNTS", json.dumps([f"{os_account()}:ada"]))
    code, out, err = tre(capsys, "user", "list")
    assert code == 2 and json.loads(out)["error"] == "ConfigError"
    assert "TRE_CLI_ACCOUNTS is refused" in err and "tre.toml" in err


def test_an_account_mapped_to_several_must_pick_one(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _project = world
    (settings.home_path / "tre.toml").unlink()
    allow_cli(settings.home_path, "ada", "chk1")
    code, _out, err = tre(capsys, "user", "list")
    assert code == 3 and "may act as several TRE accounts" in err and "ada, chk1" in err
    monkeypatch.setenv("TRE_USER", "ada")
    code, out, _err = tre(capsys, "user", "add", "newbie", "--role", "analyst")
    assert code == 0 and json.loads(out)["username"] == "newbie"
    with session_scope(settings) as session:
        added = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.add")).all()
    assert [e.actor for e in added if e.object_id == "newbie"] == ["ada"]


# Python and its libraries are readable by root only here: load what the command needs,
# then become nobody (effective uid and gid) and run it.
SCRIPT = """
import os, sys
from sqlalchemy import text
from tre import policy
from tre.cli import build_app, main
from tre.config import load_settings
from tre.db import session_scope
build_app()
settings = load_settings()
with session_scope(settings) as session:
    session.execute(text("select 1"))
policy.decide(settings, "user.list", {"actor": {"username": "x", "roles": [], "known": False}})
os.setegid(65534)
os.seteuid(65534)
main(sys.argv[1:])
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="changing the effective uid needs root")
def test_the_actor_follows_the_effective_uid(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same command, with the same environment, run by another operating-system account
    (nobody): refused while only root is mapped; acting as nobody's account once mapped."""
    from tre.config import load_settings
    from tre.db import dispose_engines, init_db
    from tre.users import add_user

    home = Path(tempfile.mkdtemp(prefix="tre-euid-", dir="/tmp"))
    try:
        monkeypatch.setenv("TRE_HOME", str(home))
        settings = load_settings()
        init_db(settings)
        add_user(settings, "ada", "ada", ["admin"])
        dispose_engines()
        for path in [home, *home.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)
        env = {**os.environ, "TRE_HOME": str(home), "TRE_USER": "ada", "USER": "root"}

        def run() -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-c", SCRIPT, "user", "list", "--json"]
            return subprocess.run(command, env=env, capture_output=True, text=True, check=False)

        (home / "tre.toml").write_text('cli_accounts = ["root:ada"]\n')
        refused = run()
        assert refused.returncode == 3, refused.stderr
        assert "'nobody' may not use the TRE command line" in refused.stderr
        (home / "tre.toml").write_text('cli_accounts = ["root:ada", "nobody:ada"]\n')
        allowed = run()
        assert allowed.returncode == 0, allowed.stderr
        assert "ada" in {u["username"] for u in json.loads(allowed.stdout)}
        assert [r["object"] for r in refusals(settings)] == ["nobody"]
        dispose_engines()
    finally:
        shutil.rmtree(home, ignore_errors=True)


# --- API tokens issued by a real JupyterHub -------------------------------------------------

SERVICE_TOKEN = "service-" + "0" * 40


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def hub_api(world: World, tmp_path: Path) -> Iterator[str]:
    """A JupyterHub on loopback (shared-password sign-in, a service that may make users'
    tokens), recorded in TRE_HOME/hub/hub.json where `tre up` records its hub's API."""
    settings, _project = world
    # The deployment's own proxy (the locked Node one): missing, it is a failure, not a skip.
    proxy = proxy_command(settings)[0]
    port, hub_port, api_port = _port(), _port(), _port()
    hub_dir = tmp_path / "jupyterhub"
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
c.SharedPasswordAuthenticator.user_password = "correct-horse-battery"
c.Authenticator.allow_all = True
c.JupyterHub.services = [{{"name": "token-maker", "api_token": "{SERVICE_TOKEN}"}}]
c.JupyterHub.load_roles = [
    {{"name": "token-maker", "scopes": ["admin:users", "tokens"], "services": ["token-maker"]}}
]
"""
    )
    log = (hub_dir / "hub.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(hub_dir / "jupyterhub_config.py")],
        cwd=hub_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{hub_port}/hub/api"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(api, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail("the hub did not start:\n" + (hub_dir / "hub.log").read_text()[-3000:])
        state = settings.home_path / "hub" / "hub.json"
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps({"api_url": api}))
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _as_service(api: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"token {SERVICE_TOKEN}"}
    return httpx.request(method, f"{api}{path}", headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


def _token(api: str, user: str, **body: object) -> dict[str, str]:
    _as_service(api, "POST", f"/users/{user}")
    made = _as_service(api, "POST", f"/users/{user}/tokens", json={"note": "cli", **body})
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_a_hub_token_acts_as_its_owner_only(
    world: World,
    hub_api: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, _project = world
    token = _token(hub_api, "ada")["token"]
    monkeypatch.setenv("TRE_HUB_TOKEN", token)  # the token decides, whatever the mapping says
    code, out, err = tre(capsys, "user", "add", "newbie", "--role", "analyst")
    assert code == 0, err
    lena = _token(hub_api, "lena")["token"]
    monkeypatch.setenv("TRE_HUB_TOKEN", lena)
    monkeypatch.setenv("TRE_USER", "ada")
    code, out, err = tre(capsys, "user", "add", "mallory", "--role", "admin")
    assert code == 3 and "TRE_USER=ada is refused" in err and "belongs to 'lena'" in err
    assert "mallory" not in users(settings)
    (refused,) = refusals(settings)
    assert refused["reason"] == "token_mismatch" and refused["via"] == "token"
    assert lena not in json.dumps(refusals(settings)) and lena not in out + err


@pytest.mark.parametrize("kind", ["forged", "expired", "revoked", "a service's"])
def test_a_bad_hub_token_is_refused_and_audited(
    world: World,
    hub_api: str,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, _project = world
    if kind == "forged":
        token = "f" * 32
    elif kind == "expired":
        token = _token(hub_api, "ada", expires_in=1)["token"]
        deadline = time.monotonic() + 60  # wait until the hub itself no longer accepts it
        while _as_user(hub_api, token) == 200:
            assert time.monotonic() < deadline, "the token never expired"
            time.sleep(0.5)
    elif kind == "revoked":
        made = _token(hub_api, "ada")
        token = made["token"]
        assert _as_service(hub_api, "DELETE", f"/users/ada/tokens/{made['id']}").status_code == 204
    else:
        token = SERVICE_TOKEN
    monkeypatch.setenv("TRE_HUB_TOKEN", token)
    code, out, err = tre(capsys, "user", "add", "mallory", "--role", "admin")
    assert code == 3 and json.loads(out)["error"] == "IdentityRefused"
    expected = "does not belong to a person" if kind == "a service's" else "does not accept"
    assert expected in err and token not in out + err
    assert "mallory" not in users(settings)
    (refused,) = refusals(settings)
    assert refused["via"] == "token" and token not in json.dumps(refused)


def _as_user(api: str, token: str) -> int:
    headers = {"Authorization": f"token {token}"}
    return httpx.get(f"{api}/user", headers=headers, timeout=30).status_code


def test_a_token_without_a_hub_to_check_it_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _project = world
    monkeypatch.setenv("TRE_HUB_TOKEN", "a" * 32)
    code, _out, err = tre(capsys, "user", "list")
    assert code == 3 and "no hub is configured here" in err
    state = settings.home_path / "hub" / "hub.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"api_url": f"http://127.0.0.1:{_port()}/hub/api"}))
    code, _out, err = tre(capsys, "user", "list")  # a hub that does not answer
    assert code == 3 and "The hub does not answer" in err
    assert [r["reason"] for r in refusals(settings)] == ["no_hub", "hub_unreachable"]
