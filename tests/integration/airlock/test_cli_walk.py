"""The command-line walk from docs/airlock.md: submit, two reviews, release, download."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_accounts import act_as

from tre.cli import main
from tre.config import Settings

World = tuple[Settings, str]


def tre(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], user: str,
        *args: str) -> object:  # fmt: skip
    act_as(monkeypatch, user)
    capsys.readouterr()
    main([*args, "--json"])
    return json.loads(capsys.readouterr().out)


def test_cli_walk(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, project = world
    (settings.workspaces_path / project / "outputs" / "counts.csv").write_text(
        "sex,n\nF,150\nM,150\n"
    )
    submitted = tre(
        monkeypatch, capsys, "lena", "airlock", "submit", "counts.csv", "--project", project,
        "--title", "Patients by sex", "--context", "Counts of patients by sex.",
        "--controls", "All counts are at least 10.",
    )  # fmt: skip
    assert isinstance(submitted, dict) and submitted["status"] == "in_review"
    rid = submitted["id"]
    queue = tre(monkeypatch, capsys, "chk1", "airlock", "list", "--queue")
    assert [r["id"] for r in queue] == [rid]  # type: ignore[union-attr, index]
    tre(monkeypatch, capsys, "chk1", "airlock", "review", rid, "--approve", "counts.csv")
    done = tre(monkeypatch, capsys, "chk2", "airlock", "review", rid, "--approve-all")
    assert done["status"] == "reviewed"  # type: ignore[index]
    released = tre(monkeypatch, capsys, "chk1", "airlock", "decide", rid, "approve")
    assert released["status"] == "released"  # type: ignore[index]
    got = tre(monkeypatch, capsys, "lena", "airlock", "download", rid, "counts.csv",
              "--out", str(tmp_path / "dl"))  # fmt: skip
    assert (tmp_path / "dl" / "counts.csv").read_text() == "sex,n\nF,150\nM,150\n"
    assert len(got["sha256"]) == 64  # type: ignore[index]


def test_cli_refusal_is_one_line_with_reason(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, project = world
    outputs = settings.workspaces_path / project / "outputs"
    (outputs / "data.csv").symlink_to(settings.extracts_path / project / "current" / "data")
    act_as(monkeypatch, "lena")
    with pytest.raises(SystemExit) as exit_info:
        main(["airlock", "submit", "data.csv", "--project", project, "--title", "x", "--json"])
    assert exit_info.value.code == 6
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] == "IntakeRefused"
    assert captured.err.count("\n") == 1 and "link" in captured.err
    act_as(monkeypatch, "lena")
    main(["airlock", "list", "--json"])
    assert json.loads(capsys.readouterr().out) == []  # the refusal left no draft behind
