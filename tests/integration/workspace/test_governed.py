"""Workspaces governed by the real control database: membership, permit, groups, revocation.

The world is made through the governance services (`tre.workspace.demo.setup_demo`: users,
application, approval with a permit, members, provisioning through tre.extract.service); the
hub asks the real access check (`tre.workspace.access.start_reasons`), so decisions come from
the database and the policy engine, and revocation goes through the `tre project` CLI.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from cli_accounts import act_as
from test_workspace import admin, server_state, start_server, wait_for
from typer.testing import CliRunner
from ws_hub import HubEnv, start_hub

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def governed_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubEnv]:
    from tre.cli.init import initialise
    from tre.config import load_settings
    from tre.workspace.demo import setup_demo

    home = tmp_path_factory.mktemp("governed") / "tre-home"
    settings = load_settings(home=home)
    initialise(settings)
    assert setup_demo(settings).project_id == "p-1"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TRE_HOME", str(home))
        yield from start_hub(
            home,
            monkeypatch,
            access_check="tre.workspace.access:start_reasons",
            operator_interval_seconds=3600,
        )


def hub_users(env: HubEnv, *names: str) -> None:
    for name in names:
        httpx.post(f"{env.hub.api_url}/users/{name}", headers=admin(env), timeout=30)


def test_group_sync_mirrors_project_members(governed_hub: HubEnv) -> None:
    from tre.workspace.enforce import HubClient, sync_groups

    env = governed_hub
    hub_users(env, "analyst1", "analyst2", "checker1")
    with HubClient(env.hub.api_url, env.hub.token) as hub:
        sync_groups(env.settings, hub)
        sync_groups(env.settings, hub)  # a second round changes nothing
        groups = {g["name"]: sorted(g["users"]) for g in hub.request("GET", "/groups")}
    assert groups == {"project-p-1": ["analyst1", "analyst2"]}


def test_member_starts_and_non_member_is_refused_with_the_reason(governed_hub: HubEnv) -> None:
    env = governed_hub
    hub_users(env, "analyst2", "checker1")
    refused = start_server(env, "checker1", "p-1")
    assert refused.status_code == 403, refused.text
    assert "only the project's lead and analysts may start its workspace" in refused.text
    assert server_state(env, "checker1", "p-1") is None

    allowed = start_server(env, "analyst2", "p-1")
    assert allowed.status_code in (201, 202), allowed.text
    assert server_state(env, "analyst2", "p-1") == "ready"


def test_revocation_through_the_cli_stops_the_running_server(
    governed_hub: HubEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tre.cli import app

    env = governed_hub
    hub_users(env, "analyst1")
    assert start_server(env, "analyst1", "p-1").status_code in (201, 202)
    assert server_state(env, "analyst1", "p-1") == "ready"

    monkeypatch.setenv("TRE_HOME", str(env.home))
    act_as(monkeypatch, "admin")
    done = CliRunner().invoke(app, ["project", "revoke", "p-1", "--reason", "test", "--json"])
    assert done.exit_code == 0, done.output
    # The CLI told the hub: no operator round is due (its interval is an hour).
    wait_for(lambda: server_state(env, "analyst1", "p-1") is None, 60)
    wait_for(lambda: server_state(env, "analyst2", "p-1") is None, 60)
    again = start_server(env, "analyst1", "p-1")
    assert again.status_code == 403
    assert "revoked" in again.text


@pytest.fixture
def native_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubEnv]:
    from tre.config import load_settings
    from tre.workspace.demo import hub_accounts

    home = tmp_path_factory.mktemp("native") / "tre-home"
    hub_accounts(load_settings(home=home), ["admin", "analyst1"])
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from start_hub(home, monkeypatch, auth="native", operator_interval_seconds=3600)


def login(env: HubEnv, username: str, password: str, code: str) -> httpx.Response:
    import re

    client = httpx.Client(base_url=env.hub.public_url, timeout=60)
    page = client.get("/hub/login")
    found = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
    assert found is not None
    form = {"_xsrf": found.group(1), "username": username, "password": password, "2fa": code}
    return client.post("/hub/login", data=form)


def test_approved_account_signs_in_only_with_its_totp_code(native_hub: HubEnv) -> None:
    import json

    import onetimepass

    from tre.workspace.hub import hub_dir

    accounts = json.loads((hub_dir(native_hub.settings) / "demo-accounts.json").read_text())
    account = accounts["analyst1"]

    def current_code() -> str:
        # The hub accepts only the current 30 s step: never use a code about to expire.
        if time.time() % 30 > 24:
            time.sleep(31 - time.time() % 30)
        return str(onetimepass.get_totp(account["totp_secret"])).zfill(6)

    code = current_code()
    wrong = "000000" if code != "000000" else "111111"
    # A refused sign-in shows the form again (200); only the right code signs in (302).
    assert login(native_hub, "analyst1", account["password"], wrong).status_code == 200
    assert login(native_hub, "analyst1", "not-the-password", code).status_code == 200
    signed_in = login(native_hub, "analyst1", account["password"], current_code())
    assert signed_in.status_code == 302, signed_in.text[:500]
    assert signed_in.headers["location"].endswith("/hub/home")
