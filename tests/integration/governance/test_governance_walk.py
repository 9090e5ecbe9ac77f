"""A scripted walk from the command line: apply → approve → members → revoke, each audited;
`tre audit verify` passes, and fails naming the event after the database is tampered with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_accounts import run_tre
from governance_world import write_application
from sqlalchemy import text

from tre.config import load_settings
from tre.db import db_engine

tre = run_tre


def test_walk_apply_approve_members_revoke_then_tamper(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def run(user: str, *args: str) -> tuple[int, str, str]:
        return tre(monkeypatch, capsys, user, *args)

    code, out, _ = run("ada", "init", "--json")
    assert code == 0 and json.loads(out)["database"]
    assert run("ada", "init", "--json")[0] == 0  # idempotent

    # Nobody is admin yet: only a person making themselves the first admin may add users.
    code, _, err = run("eve", "user", "add", "mallory", "--role", "admin")
    assert code == 3 and "only an admin" in err
    assert run("ada", "user", "add", "ada", "--role", "admin")[0] == 0
    for name, role in [
        ("appy", "approver"),
        ("lena", "analyst"),
        ("ana", "analyst"),
        ("chk", "output_checker"),
    ]:
        assert run("ada", "user", "add", name, "--role", role)[0] == 0

    application = write_application(tmp_path / "application.yaml")
    code, out, _ = run("lena", "project", "apply", str(application), "--json")
    assert code == 0, out
    project = json.loads(out)
    assert project["id"] == "p-1" and project["status"] == "submitted"
    assert "pseudonym_secret" not in out

    code, _, err = run("lena", "project", "approve", "p-1")
    assert code == 3
    assert err.startswith("PolicyDenied: ") and "only an approver or an admin" in err
    assert len(err.strip().splitlines()) == 1

    code, out, _ = run(
        "appy",
        "project",
        "approve",
        "p-1",
        "--valid-to",
        "2030-12-31",
        "--reason",
        "ethics approved",
        "--json",
    )
    assert code == 0
    assert json.loads(out)["permit"]["valid_to"] == "2030-12-31"

    assert run("ada", "project", "members", "p-1", "add", "ana", "--role", "analyst")[0] == 0
    assert run("ada", "project", "members", "p-1", "add", "chk", "--role", "output_checker")[0] == 0
    code, out, err = run(
        "ada", "project", "members", "p-1", "add", "appy", "--role", "output_checker", "--json"
    )
    assert code == 3 and "separation of duties" in err
    assert json.loads(out)["reasons"]

    code, out, _ = run("ana", "project", "list", "--json")
    assert [p["id"] for p in json.loads(out)] == ["p-1"]
    code, out, _ = run("nobody", "project", "register", "--json")
    assert code == 0 and [p["id"] for p in json.loads(out)] == ["p-1"]

    code, out, _ = run("appy", "project", "revoke", "p-1", "--reason", "breach", "--json")
    assert code == 0 and json.loads(out)["status"] == "revoked"
    assert run("ada", "project", "members", "p-1", "add", "lena", "--role", "analyst")[0] == 3

    code, _, err = run("lena", "audit", "verify")
    assert code == 3 and "only an admin may read the audit log" in err
    code, out, _ = run("ada", "audit", "verify", "--json")
    assert code == 0, out
    assert json.loads(out)["ok"] is True

    code, out, _ = run("ada", "audit", "export")
    events = [json.loads(line) for line in out.splitlines()]
    assert [(e["actor"], e["action"]) for e in events] == [
        ("ada", "user.add"),
        ("ada", "user.add"),
        ("ada", "user.add"),
        ("ada", "user.add"),
        ("ada", "user.add"),
        ("lena", "project.apply"),
        ("appy", "project.approve"),
        ("ada", "project.members.add"),
        ("ada", "project.members.add"),
        ("appy", "project.revoke"),
        ("appy", "project.extract_delete"),  # revoking deletes the extract (none here)
    ]
    assert events[6]["body"]["reason"] == "ethics approved"
    out_file = tmp_path / "audit.jsonl"
    code, out, _ = run(
        "ada", "audit", "export", "--since", events[7]["at"], "--out", str(out_file), "--json"
    )
    assert code == 0 and json.loads(out)["events"] == 4
    assert len(out_file.read_text().splitlines()) == 4

    # Tamper: someone with database access rewrites who approved the application.
    with db_engine(load_settings()).begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 7"))
    code, out, err = run("ada", "audit", "verify", "--json")
    assert code == 7
    assert json.loads(out)["bad_event"] == 7
    assert "event 7" in err and err.count("\n") == 1
