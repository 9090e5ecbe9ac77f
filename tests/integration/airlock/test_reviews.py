"""Two-person review on a real database and real Rego: disagreement, how it is settled, and
what each reader is shown of the round while reviews come in."""

from __future__ import annotations

import json

import pytest
from airlock_world import submitted
from sqlalchemy import select

from tre.airlock import service, views
from tre.config import Settings
from tre.db import AuditEvent, session_scope
from tre.errors import InputError, InvalidTransition, PolicyDenied

World = tuple[Settings, str]
TWO = {"a.csv": "sex,n\nF,150\nM,150\n", "b.csv": "sex,n\nF,120\nM,180\n"}


def _disagreeing(settings: Settings, project: str) -> str:
    rid = submitted(settings, project, TWO)
    service.review(settings, "chk1", rid, {"a.csv": "approve", "b.csv": "approve"})
    service.review(settings, "chk2", rid, {"a.csv": "approve", "b.csv": "changes_requested"})
    return rid


def _reviews(settings: Settings, actor: str, rid: str) -> dict[str, str]:
    shown = views.show(settings, actor, rid)
    return {f["path"]: f["review"]["outcome"] for g in shown["groups"] for f in g["files"]}


def test_disagreeing_votes_put_the_file_in_conflict_and_block_approval(world: World) -> None:
    settings, project = world
    rid = _disagreeing(settings, project)
    assert views.show(settings, "chk1", rid)["status"] == "conflicted"
    assert _reviews(settings, "chk1", rid) == {"a.csv": "approved", "b.csv": "conflicted"}
    with pytest.raises(InvalidTransition):
        service.decide(settings, "chk1", rid, "approve")
    _shown, perms, _reads = views.request_with_permissions(settings, "chk1", rid)
    assert any("not approved by their reviews" in r for r in perms["approve"])


def test_a_further_reviewer_votes_on_the_conflicted_files_only(world: World) -> None:
    settings, project = world
    rid = _disagreeing(settings, project)
    with pytest.raises(InputError):
        service.review(settings, "chk3", rid, {"a.csv": "approve", "b.csv": "approve"})
    service.review(settings, "chk3", rid, {"b.csv": "approve"})
    assert views.show(settings, "chk3", rid)["status"] == "reviewed"
    service.decide(settings, "chk3", rid, "approve")
    assert views.show(settings, "lena", rid)["status"] == "released"


def test_a_vote_changed_after_a_discussion_needs_a_note_and_is_audited(world: World) -> None:
    settings, project = world
    rid = _disagreeing(settings, project)
    with pytest.raises(InputError):
        service.resolve(settings, "chk2", rid, "b.csv", "approve", "  ")
    with pytest.raises(PolicyDenied):  # the author is no reviewer
        service.resolve(settings, "lena", rid, "b.csv", "approve", "Agreed.")
    service.resolve(settings, "chk2", rid, "b.csv", "approve", "Discussed: counts are safe.")
    assert views.show(settings, "chk1", rid)["status"] == "reviewed"
    notes = [c for c in views.show(settings, "chk1", rid)["comments"] if c["path"] == "b.csv"]
    assert [n["body"] for n in notes] == ["Discussed: counts are safe."]
    assert views.show(settings, "lena", rid)["comments"] == []  # the note is the checkers'
    with session_scope(settings) as s:
        event = s.execute(
            select(AuditEvent).where(
                AuditEvent.object_id == rid, AuditEvent.action == "airlock.resolve"
            )
        ).scalar_one()
        body = json.loads(event.body)
    assert body["vote_before"] == "changes_requested" and body["vote"] == "approve"
    assert "Discussed" not in event.body  # the note's text stays out of the audit log


def test_while_blind_the_second_reviewer_sees_nothing_of_the_first(world: World) -> None:
    settings, project = world
    rid = submitted(settings, project, TWO)
    before = views.request_with_permissions(settings, "chk2", rid)
    service.review(
        settings, "chk1", rid, {"a.csv": "changes_requested", "b.csv": "approve"},
        "Round a.csv.", "Borderline.",
    )  # fmt: skip
    service.comment(settings, "lena", rid, "I can round it.", "a.csv")
    assert views.request_with_permissions(settings, "chk2", rid) == before
    assert _reviews(settings, "chk2", rid) == {"a.csv": "pending", "b.csv": "pending"}
    mine = views.show(settings, "chk1", rid)
    assert {f["my_vote"] for g in mine["groups"] for f in g["files"]} == {
        "changes_requested", "approve",
    }  # fmt: skip
