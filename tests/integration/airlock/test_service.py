"""Release requests end to end on a real database and real Rego policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airlock_world import draft
from sqlalchemy import select

from tre.airlock import service, views
from tre.airlock.intake import IntakeRefused
from tre.config import Settings
from tre.db import AuditEvent, session_scope
from tre.errors import InputError, InvalidTransition, PolicyDenied

World = tuple[Settings, str]
COUNTS = "sex,n\nF,150\nM,150\n"


def _outputs(settings: Settings, project: str) -> Path:
    return settings.workspaces_path / project / "outputs"


def _draft(world: World, files: dict[str, str], author: str = "lena") -> str:
    return draft(*world, files, author)


def _audit_actions(settings: Settings, rid: str) -> list[str]:
    with session_scope(settings) as s:
        events = s.execute(select(AuditEvent).where(AuditEvent.object_id == rid)).scalars()
        return [e.action for e in events]


def _approve_all(settings: Settings, rid: str, reviewer: str) -> dict[str, object]:
    paths = [f["path"] for g in views.show(settings, reviewer, rid)["groups"] for f in g["files"]]
    return service.review(settings, reviewer, rid, dict.fromkeys(paths, "approve"))


def test_submit_review_release_download(world: World) -> None:
    settings, _project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    assert service.submit(settings, "lena", rid)["status"] == "in_review"
    assert _approve_all(settings, rid, "chk1")["status"] == "in_review"
    assert _approve_all(settings, rid, "chk2")["status"] == "reviewed"
    assert service.decide(settings, "chk1", rid, "approve")["status"] == "released"
    got = views.read_file(settings, "ana", rid, "counts.csv", released_only=True)
    path, digest = got.location, got.sha256
    assert path.read_text() == COUNTS
    manifest = json.loads((path.parent.parent / "manifest.json").read_text())
    assert manifest["files"] == [{"path": "counts.csv", "sha256": digest, "size": len(COUNTS)}]
    register = views.register(settings)
    assert register[0]["files"][0]["sha256"] == digest and "F,150" not in json.dumps(
        register, default=str
    )
    actions = _audit_actions(settings, rid)
    for expected in ("airlock.create", "airlock.submit", "airlock.checks_done", "airlock.review",
                     "airlock.reviews_complete", "airlock.approve", "airlock.release",
                     "release.download"):  # fmt: skip
        assert expected in actions


def test_author_never_reviews_even_as_checker(world: World) -> None:
    settings, _project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    service.submit(settings, "lena", rid)
    with pytest.raises(PolicyDenied) as err:
        service.review(settings, "lena", rid, {"counts.csv": "approve"})
    assert any("author" in r for r in err.value.reasons)
    assert "airlock.review" not in _audit_actions(settings, rid)


def test_votes_are_blind_until_all_are_in(world: World) -> None:
    settings, _project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    service.submit(settings, "lena", rid)
    before = views.request_with_permissions(settings, "chk2", rid)
    service.review(settings, "chk1", rid, {"counts.csv": "changes_requested"}, "Round the counts.")
    seen_by_chk2 = views.show(settings, "chk2", rid)
    assert seen_by_chk2["votes"] == [] and seen_by_chk2["reviews_in"] is None
    # Nothing chk2 is shown or allowed (buttons and their reasons) tells the first review.
    assert views.request_with_permissions(settings, "chk2", rid) == before
    assert [v["reviewer"] for v in views.show(settings, "chk1", rid)["votes"]] == ["chk1"]
    assert views.show(settings, "lena", rid)["votes"] == []
    _approve_all(settings, rid, "chk2")
    assert {v["reviewer"] for v in views.show(settings, "chk2", rid)["votes"]} == {"chk1", "chk2"}


def test_one_reviewer_cannot_vote_twice(world: World) -> None:
    settings, _project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    service.submit(settings, "lena", rid)
    _approve_all(settings, rid, "chk1")
    with pytest.raises(PolicyDenied):
        _approve_all(settings, rid, "chk1")


def test_return_with_comments_then_resubmit_starts_new_round(world: World) -> None:
    settings, project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    service.submit(settings, "lena", rid)
    service.review(settings, "chk1", rid, {"counts.csv": "changes_requested"})
    service.review(settings, "chk2", rid, {"counts.csv": "approve"})
    with pytest.raises(InputError):
        service.decide(settings, "chk1", rid, "return")  # needs a comment
    service.decide(settings, "chk1", rid, "return", "Please round to 5.", "Borderline cells.")
    seen = views.show(settings, "lena", rid)
    assert seen["status"] == "returned"
    assert [c["body"] for c in seen["comments"]] == ["Please round to 5."]
    assert len(views.show(settings, "chk2", rid)["comments"]) == 2
    (_outputs(settings, project) / "counts.csv").write_text("sex,n\nF,150\nM,150\n")
    service.add_files(settings, "lena", rid, ["counts.csv"])
    assert service.submit(settings, "lena", rid)["round"] == 2
    assert [v for v in views.show(settings, "chk1", rid)["votes"] if v["round"] == 2] == []
    _approve_all(settings, rid, "chk1")  # a new round: may vote again


def test_groups_need_context_and_controls(world: World) -> None:
    settings, project = world
    (_outputs(settings, project) / "counts.csv").write_text(COUNTS)
    rid = service.create(settings, "lena", project, "Counts")["id"]
    service.add_files(settings, "lena", rid, ["counts.csv"])
    with pytest.raises(InputError) as err:
        service.submit(settings, "lena", rid)
    assert "main" in err.value.message
    assert views.show(settings, "lena", rid)["status"] == "draft"


def test_person_ids_renamed_code_block_approval_until_override(world: World) -> None:
    from airlock_world import PERSON_IDS

    settings, _project = world
    rows = "code,n\n" + "".join(f"{pid},12\n" for pid in PERSON_IDS[:40])
    rid = _draft(world, {"codes.csv": rows})
    draft = views.show(settings, "lena", rid)["groups"][0]["files"][0]
    assert draft["verdict"] == "block" and draft["findings"]  # seen before submitting
    service.submit(settings, "lena", rid)
    _approve_all(settings, rid, "chk1")
    _approve_all(settings, rid, "chk2")
    with pytest.raises(PolicyDenied) as err:
        service.decide(settings, "chk1", rid, "approve")
    assert any("override" in r for r in err.value.reasons)
    assert views.show(settings, "chk1", rid)["status"] == "reviewed"
    with pytest.raises(PolicyDenied):
        service.override(settings, "chk1", rid, "fine")  # not an admin
    with pytest.raises(PolicyDenied):
        service.override(settings, "ada", rid, "  ")  # no reason
    service.override(settings, "ada", rid, "Codes are diagnosis codes, not persons.")
    assert service.decide(settings, "chk1", rid, "approve")["status"] == "released"
    assert "airlock.override" in _audit_actions(settings, rid)


def test_a_total_in_another_file_of_the_request_is_differencing(world: World) -> None:
    settings, _project = world
    hidden = "region,n\nKanto,7000\nShikoku,<10\nKinki,3600\n"
    alone = _draft(world, {"by_region.csv": hidden})
    assert views.show(settings, "lena", alone)["groups"][0]["files"][0]["verdict"] == "pass"
    rid = _draft(world, {"by_region.csv": hidden, "total.csv": "region,n\nTotal,10608\n"})
    verdicts = {f["path"]: f for f in views.show(settings, "lena", rid)["groups"][0]["files"]}
    assert verdicts["total.csv"]["verdict"] == "block"
    assert {f["rule"] for f in verdicts["total.csv"]["findings"]} >= {"differencing-total"}


def test_revoke_stops_downloads(world: World) -> None:
    settings, _project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    service.submit(settings, "lena", rid)
    _approve_all(settings, rid, "chk1")
    _approve_all(settings, rid, "chk2")
    service.decide(settings, "chk2", rid, "approve")
    with pytest.raises(PolicyDenied):
        service.revoke(settings, "ana", rid, "mistake")
    service.revoke(settings, "chk1", rid, "A cell was found disclosive later.")
    with pytest.raises(PolicyDenied) as err:
        views.read_file(settings, "lena", rid, "counts.csv", released_only=True)
    assert any("revoked" in r for r in err.value.reasons)
    assert views.register(settings)[0]["status"] == "revoked"


def test_checker_cannot_download_and_outsider_cannot_see(world: World) -> None:
    settings, _project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    service.submit(settings, "lena", rid)
    _approve_all(settings, rid, "chk1")
    _approve_all(settings, rid, "chk2")
    service.decide(settings, "chk2", rid, "approve")
    with pytest.raises(PolicyDenied):
        views.read_file(settings, "chk1", rid, "counts.csv", released_only=True)
    with pytest.raises(PolicyDenied):
        views.show(settings, "appy", rid)


def test_withdraw_and_invalid_moves_change_nothing(world: World) -> None:
    settings, _project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    with pytest.raises(PolicyDenied):
        service.withdraw(settings, "ana", rid)  # not the author
    with pytest.raises(InvalidTransition):
        service.decide(settings, "chk1", rid, "approve")  # a draft
    assert views.show(settings, "lena", rid)["status"] == "draft"
    assert service.withdraw(settings, "lena", rid)["status"] == "withdrawn"
    with pytest.raises(InvalidTransition):
        service.submit(settings, "lena", rid)


def test_file_changed_after_submit_does_not_change_the_release(world: World) -> None:
    settings, project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    service.submit(settings, "lena", rid)
    (_outputs(settings, project) / "counts.csv").write_text("sex,n\nF,1\nM,299\n")
    _approve_all(settings, rid, "chk1")
    _approve_all(settings, rid, "chk2")
    service.decide(settings, "chk2", rid, "approve")
    got = views.read_file(settings, "lena", rid, "counts.csv", released_only=True)
    assert got.location.read_text() == COUNTS


def test_tampered_store_stops_release(world: World) -> None:
    from tre.airlock.store import StoreCorrupted

    settings, _project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    service.submit(settings, "lena", rid)
    _approve_all(settings, rid, "chk1")
    _approve_all(settings, rid, "chk2")
    digest = views.show(settings, "chk1", rid)["groups"][0]["files"][0]["sha256"]
    stored = service.content_store(settings).path(digest)
    stored.chmod(0o644)
    stored.write_text("sex,n\nF,1\n")
    with pytest.raises(StoreCorrupted):
        service.decide(settings, "chk2", rid, "approve")
    assert views.show(settings, "chk1", rid)["status"] == "reviewed"
    assert not (settings.airlock_path / "releases" / rid).exists()
    assert not any((settings.airlock_path / "releases").glob(".staging-*"))


def test_refused_file_leaves_request_unchanged(world: World) -> None:
    settings, project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    (_outputs(settings, project) / "link.csv").symlink_to(
        settings.extracts_path / project / "current" / "data" / "patients.parquet"
    )
    with pytest.raises(IntakeRefused):
        service.add_files(settings, "lena", rid, ["link.csv"])
    assert views.show(settings, "lena", rid)["files"] == 1


def test_parquet_refused_by_the_standard_tier(world: World) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    settings, project = world
    pq.write_table(pa.table({"n": [12]}), _outputs(settings, project) / "t.parquet")
    rid = service.create(settings, "lena", project, "Parquet")["id"]
    with pytest.raises(IntakeRefused) as err:
        service.add_files(settings, "lena", rid, ["t.parquet"])
    assert err.value.code == "extension"


def test_permissions_explain_themselves(world: World) -> None:
    from tre.airlock.service import load
    from tre.db import session_scope as scope

    settings, _project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    service.submit(settings, "lena", rid)
    with scope(settings) as s:
        req = load(s, rid)
        mine = views.permissions(s, settings, "lena", req)
        theirs = views.permissions(s, settings, "chk1", req)
    assert any("author" in r for r in mine["review"])
    assert theirs["review"] == []
    assert mine["approve"] and theirs["approve"]  # not yet reviewed


def test_reject_is_final_and_needs_a_reason(world: World) -> None:
    settings, _project = world
    rid = _draft(world, {"counts.csv": COUNTS})
    service.submit(settings, "lena", rid)
    with pytest.raises(PolicyDenied):
        service.decide(settings, "ana", rid, "reject", "no")  # an analyst, not a checker
    assert service.decide(settings, "chk1", rid, "reject", "Not a research output.")["status"] == (
        "rejected"
    )
    with pytest.raises(InvalidTransition):
        service.submit(settings, "lena", rid)
    assert "airlock.reject" in _audit_actions(settings, rid)
