"""Attacks on the portal and the command line, each attempted and shown to fail: reading
another project's request or release by URL, an author approving by a crafted POST, a
checker voting twice, downloading a revoked release."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airlock_world import OTHER_APPLICATION, reviewed, submitted
from cli_accounts import act_as
from portal_client import COUNTS, client_for, csrf

from tre import projects, users
from tre.airlock import service, views
from tre.cli import main
from tre.config import Settings

World = tuple[Settings, str]


def _other_project(settings: Settings, tmp_path: Path) -> str:
    """Project B, led by bob, who is not a member of project A (p-1)."""
    users.add_user(settings, "ada", "bob", ["analyst"])
    app_file = tmp_path / "other.yaml"
    app_file.write_text(OTHER_APPLICATION)
    other = str(projects.apply(settings, "bob", app_file)["id"])
    projects.approve(settings, "appy", other)
    (settings.workspaces_path / other / "outputs").mkdir(parents=True)
    return other


def test_analyst_of_another_project_cannot_read_request_or_release(
    portal: World, tmp_path: Path
) -> None:
    settings, project = portal
    other = _other_project(settings, tmp_path)
    rid = reviewed(settings, project)
    service.decide(settings, "chk1", rid, "approve")
    bob = client_for(settings, "bob")
    for url in (f"/requests/{rid}", f"/requests/{rid}/view/counts.csv",
                f"/requests/{rid}/raw/counts.csv", f"/releases/{rid}/counts.csv"):  # fmt: skip
        r = bob.get(url)
        assert r.status_code == 403, url
        assert "F,150" not in r.text and "150" not in r.text
    assert rid not in bob.get("/requests").text
    # Nor can bob open a request in project A, or list its outputs.
    page = bob.get("/requests")
    r = bob.post("/requests", data={"project_id": project, "title": "T", "csrf": csrf(page.text)})
    assert r.status_code == 403
    assert views.list_requests(settings, "bob") == []
    # And the other way round: ana, an analyst of project A only, cannot see project B's.
    (settings.workspaces_path / other / "outputs" / "counts.csv").write_text(COUNTS)
    theirs = str(service.create(settings, "bob", other, "B's counts")["id"])
    service.add_files(settings, "bob", theirs, ["counts.csv"])
    ana = client_for(settings, "ana")
    assert ana.get(f"/requests/{theirs}").status_code == 403
    assert ana.get(f"/requests/{theirs}/view/counts.csv").status_code == 403


def test_author_cannot_approve_by_a_crafted_post(portal: World) -> None:
    settings, project = portal
    rid = reviewed(settings, project)
    lena = client_for(settings, "lena")  # the author, and an output checker too
    token = csrf(lena.get(f"/requests/{rid}").text)
    for decision in ("approve", "reject", "return"):
        r = lena.post(f"/requests/{rid}/decide",
                      data={"decision": decision, "comment": "c", "csrf": token})  # fmt: skip
        assert r.status_code == 403, decision
    assert views.show(settings, "chk1", rid)["status"] == "reviewed"
    assert not (settings.airlock_path / "releases" / rid).exists()


def test_checker_cannot_vote_twice_through_the_portal(portal: World) -> None:
    settings, project = portal
    rid = submitted(settings, project)
    chk1 = client_for(settings, "chk1")
    token = csrf(chk1.get(f"/requests/{rid}").text)
    vote = {"vote:counts.csv": "approve", "csrf": token}
    assert chk1.post(f"/requests/{rid}/review", data=vote).status_code in (200, 303)
    second = chk1.post(f"/requests/{rid}/review", data=vote)
    assert second.status_code in (400, 403)
    shown = views.show(settings, "chk1", rid)
    assert shown["status"] == "in_review" and len(shown["votes"]) == 1


def test_revoked_release_cannot_be_downloaded_by_portal_or_cli(
    portal: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, project = portal
    rid = reviewed(settings, project)
    service.decide(settings, "chk1", rid, "approve")
    service.revoke(settings, "chk1", rid, "later found disclosive")
    r = client_for(settings, "lena").get(f"/releases/{rid}/counts.csv")
    assert r.status_code == 403 and "revoked" in r.text and "F,150" not in r.text
    act_as(monkeypatch, "lena")
    capsys.readouterr()
    out = tmp_path / "dl"
    with pytest.raises(SystemExit) as exit_info:
        main(["airlock", "download", rid, "counts.csv", "--out", str(out), "--json"])
    assert exit_info.value.code != 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] == "PolicyDenied" and "revoked" in captured.err
    assert not (out / "counts.csv").exists()


def test_a_reviewers_comments_stay_blind_until_all_reviews_are_in(portal: World) -> None:
    """A comment would give the vote away: the second checker sees neither before voting."""
    settings, project = portal
    rid = submitted(settings, project)
    service.review(settings, "chk1", rid, {"counts.csv": "changes_requested"},
                   "Qz7 suppress the cell", "Qz7 private note")  # fmt: skip
    for user in ("chk2", "lena"):
        page = client_for(settings, user).get(f"/requests/{rid}").text
        assert "Qz7" not in page, user
        assert "Qz7" not in str(views.show(settings, user, rid)), user
    service.review(settings, "chk2", rid, {"counts.csv": "approve"})
    page = client_for(settings, "chk2").get(f"/requests/{rid}").text
    assert "Qz7 suppress the cell" in page and "Qz7 private note" in page


def test_a_checker_sees_another_projects_request_only_once_submitted(
    portal: World, tmp_path: Path
) -> None:
    settings, _project = portal
    other = _other_project(settings, tmp_path)
    (settings.workspaces_path / other / "outputs" / "counts.csv").write_text(COUNTS)
    theirs = str(service.create(settings, "bob", other, "B's counts")["id"])
    service.add_files(settings, "bob", theirs, ["counts.csv"])
    service.set_group(settings, "bob", theirs, "main", "ctx", "ctl")
    chk1 = client_for(settings, "chk1")
    r = chk1.get(f"/requests/{theirs}")
    assert r.status_code == 403 and "a draft is seen only" in r.text
    assert chk1.get(f"/requests/{theirs}/view/counts.csv").status_code == 403
    service.submit(settings, "bob", theirs)
    assert chk1.get(f"/requests/{theirs}").status_code == 200
