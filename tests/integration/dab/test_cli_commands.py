"""The command line's side of the portal's admin work: a data holder issues a patient's code
(`tre patient issue-code`) that the patients' page accepts, an admin resets a second factor
(`tre user reset-2fa`) and records an address for notices (`tre user add --email`); each asks
the same policy as the pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_accounts import run_tre
from dab_world import client, patient_ids
from test_admin_pages import audit_actions, audit_bodies
from test_patients_pages import sign_in

from tre import users
from tre.config import Settings

tre = run_tre


def test_a_code_issued_from_the_command_line_opens_the_patients_page(
    world: Settings,
    lake_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    person = patient_ids(lake_template, 1)[0]
    args = ("patient", "issue-code", "--source", "demo", "--id", person, "--json")

    code, _, err = tre(monkeypatch, capsys, "lena", *args)
    assert code == 3 and err.startswith("PolicyDenied: ") and person not in err

    code, out, _ = tre(monkeypatch, capsys, "hosp", *args)
    assert code == 0, out
    issued = json.loads(out)["code"]
    assert person not in out

    patient = client(world)
    r = sign_in(patient, issued)
    assert r.status_code == 303 and r.headers["location"] == "/patients/me"
    assert sign_in(client(world), issued).status_code != 303  # once only
    assert "patient.code.issue" in audit_actions(world)
    assert person not in str(audit_bodies(world))

    code, _, err = tre(monkeypatch, capsys, "hosp", "patient", "issue-code", "--source",
                       "Demo!", "--id", person)  # fmt: skip
    assert code != 0 and "Invalid source name" in err and "Traceback" not in err


def test_user_email_and_second_factor_reset_from_the_command_line(
    world: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import onetimepass
    from jupyterhub import orm

    from tre.workspace.auth import TreNativeAuthenticator
    from tre.workspace.demo import hub_accounts
    from tre.workspace.hub import hub_dir

    code, _, _ = tre(monkeypatch, capsys, "ada", "user", "add", "kai", "--role", "analyst",
                     "--email", "kai@example.org")  # fmt: skip
    assert code == 0
    assert {u["username"]: u.get("email") for u in users.list_users(world, "ada")}[
        "kai"
    ] == "kai@example.org"

    old = hub_accounts(world, ["lena"])["lena"]["totp_secret"]
    capsys.readouterr()  # the hub's database migration logs
    code, _, err = tre(monkeypatch, capsys, "appy", "user", "reset-2fa", "lena")
    assert code == 3 and err.startswith("PolicyDenied: ")

    code, out, _ = tre(monkeypatch, capsys, "ada", "user", "reset-2fa", "lena", "--json")
    assert code == 0, out
    new = json.loads(out)["secret"]
    db = orm.new_session_factory(f"sqlite:///{hub_dir(world) / 'jupyterhub.sqlite'}")()
    account = TreNativeAuthenticator(db=db).get_user("lena")
    assert not account.is_valid_token(onetimepass.get_totp(old, as_string=True))
    assert account.is_valid_token(onetimepass.get_totp(new, as_string=True))
    db.close()

    code, _, err = tre(monkeypatch, capsys, "ada", "user", "reset-2fa", "nobody")
    assert code != 0 and "has not signed up at the hub" in err and "Traceback" not in err
