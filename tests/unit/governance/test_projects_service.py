"""Projects and permits through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tre import audit, projects, users
from tre.config import Settings
from tre.db import AuditEvent, Permit, Project, session_scope
from tre.errors import InputError, NotFound, PolicyDenied


def actions(settings: Settings) -> list[str]:
    with session_scope(settings) as session:
        return list(session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars())


def chain_ok(settings: Settings) -> bool:
    with session_scope(settings) as session:
        return audit.verify(session).ok


def test_apply_creates_submitted_project_led_by_applicant(
    people: Settings, application_file: Path
) -> None:
    result = projects.apply(people, "lena", application_file)
    assert result["id"] == "p-1"
    assert result["status"] == "submitted"
    assert result["members"] == [{"username": "lena", "role": "lead"}]
    assert result["datasets"]["synthea.patients"] == ["sex", "birth_month"]
    assert projects.apply(people, "otto", application_file)["id"] == "p-2"
    assert actions(people)[-2:] == ["project.apply", "project.apply"]


def test_pseudonym_secret_is_32_random_bytes_and_never_shown(
    people: Settings, application_file: Path
) -> None:
    projects.apply(people, "lena", application_file)
    projects.apply(people, "lena", application_file)
    with session_scope(people) as session:
        first, second = session.execute(select(Project).order_by(Project.number)).scalars()
        assert len(first.pseudonym_secret) == 32
        assert first.pseudonym_secret != second.pseudonym_secret
        secret_hex = first.pseudonym_secret.hex()
        assert secret_hex not in repr(first)
    shown = json.dumps(projects.show(people, "ada", "p-1"), default=str)
    exported = json.dumps(list_export(people))
    for text in (shown, exported, json.dumps(projects.register(people), default=str)):
        assert secret_hex not in text
        assert "pseudonym_secret" not in text


def list_export(settings: Settings) -> list[dict[str, object]]:
    with session_scope(settings) as session:
        return list(audit.export(session))


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("title: [unclosed", "not valid YAML"),
        ("- a list\n- not a mapping\n", "YAML mapping"),
        ("title: T\n", "lay_summary"),
        ("purpose: curiosity", "purpose"),
        ("datasets: {}", "datasets"),
        ("period: {start: 2025-02-01, end: 2025-01-01}", "end after it starts"),
        ("unexpected: 1", "unexpected"),
    ],
)
def test_invalid_application_is_refused_with_field_named(
    people: Settings, tmp_path: Path, content: str, fragment: str
) -> None:
    base = {
        "title": "Diabetes care",
        "lay_summary": "A lay summary that is long enough to read.",
        "purpose": "scientific_research",
        "purpose_description": "A purpose described at enough length.",
        "lawful_basis": "public_interest",
        "expected_outputs": "Aggregate tables.",
        "organisation": "Uni",
        "datasets": {"synthea.patients": ["sex"]},
        "period": {"start": "2025-01-01", "end": "2026-01-01"},
    }
    path = tmp_path / "bad.yaml"
    if content.startswith(("title: [", "- a")):
        path.write_text(content)
    else:
        import yaml

        override = yaml.safe_load(content)
        if override == {"title": "T"}:
            path.write_text(content)
        else:
            path.write_text(yaml.safe_dump(base | override))
    with pytest.raises(InputError) as caught:
        projects.apply(people, "lena", path)
    assert fragment in str(caught.value)
    assert actions(people).count("project.apply") == 0


@pytest.mark.parametrize(
    ("datasets", "fragment"),
    [
        ({"synthea.claims": ["cost"]}, "dataset synthea.claims is not in the lake catalogue"),
        ({"synthea.patients": ["sex", "postcode"]}, "has no column postcode"),
    ],
)
def test_unknown_dataset_or_column_is_refused(
    people: Settings, tmp_path: Path, datasets: dict[str, list[str]], fragment: str
) -> None:
    import yaml

    path = tmp_path / "app.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "title": "Claims",
                "lay_summary": "A lay summary that is long enough to read.",
                "purpose_description": "A purpose described at enough length.",
                "lawful_basis": "public_interest",
                "expected_outputs": "Aggregate tables.",
                "purpose": "statistics",
                "organisation": "Office",
                "datasets": datasets,
                "period": {"start": "2025-01-01", "end": "2026-01-01"},
            }
        )
    )
    with pytest.raises(InputError, match=fragment):
        projects.apply(people, "lena", path)


def test_high_tier_dataset_makes_a_high_tier_project(people: Settings, tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "app.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "title": "Genomes",
                "lay_summary": "A lay summary that is long enough to read.",
                "purpose": "scientific_research",
                "purpose_description": "A purpose described at enough length.",
                "lawful_basis": "public_interest",
                "expected_outputs": "Aggregate tables.",
                "organisation": "Institute",
                "datasets": {"registry.genomes": ["variant"], "synthea.patients": ["sex"]},
                "period": {"start": "2025-01-01", "end": "2026-01-01"},
            }
        )
    )
    assert projects.apply(people, "lena", path)["tier"] == "high"


def test_apply_needs_an_account(gov: Settings, application_file: Path) -> None:
    with pytest.raises(PolicyDenied, match="need an account"):
        projects.apply(gov, "stranger", application_file)


def test_approve_issues_permit_and_records_decision(
    people: Settings, application_file: Path
) -> None:
    projects.apply(people, "lena", application_file)
    with pytest.raises(PolicyDenied, match="only an approver or an admin"):
        projects.approve(people, "otto", "p-1")
    with pytest.raises(PolicyDenied, match="applicant or member"):
        users.add_user(people, "ada", "lena", ["analyst", "approver"])
        projects.approve(people, "lena", "p-1")
    result = projects.approve(
        people, "appy", "p-1", valid_to=date(2030, 6, 30), reason="ethics approved"
    )
    assert result["status"] == "approved"
    assert result["permit"]["valid_to"] == date(2030, 6, 30)
    assert result["permit"]["grant"] == {
        "synthea.patients": ["sex", "birth_month"],
        "synthea.conditions": ["code"],
    }
    decision = result["decisions"][0]
    assert (decision["kind"], decision["actor"], decision["reason"]) == (
        "approve",
        "appy",
        "ethics approved",
    )
    with pytest.raises(PolicyDenied, match="only a submitted application"):
        projects.approve(people, "ada", "p-1")
    assert actions(people)[-1] == "project.approve"
    assert chain_ok(people)


def test_permit_end_before_start_is_denied(people: Settings, application_file: Path) -> None:
    projects.apply(people, "lena", application_file)
    with pytest.raises(PolicyDenied, match="end after it starts"):
        projects.approve(people, "appy", "p-1", valid_to=date(2001, 1, 1))


def test_reject_then_nothing_more(people: Settings, application_file: Path) -> None:
    projects.apply(people, "lena", application_file)
    assert projects.reject(people, "appy", "p-1", reason="no ethics")["status"] == "rejected"
    with pytest.raises(PolicyDenied, match="only a submitted application"):
        projects.approve(people, "appy", "p-1")
    with pytest.raises(PolicyDenied, match="members can change only"):
        projects.add_member(people, "ada", "p-1", "ana", "analyst")


def test_revoke_marks_permit_revoked(people: Settings, application_file: Path) -> None:
    projects.apply(people, "lena", application_file)
    with pytest.raises(PolicyDenied, match="only an approved project"):
        projects.revoke(people, "appy", "p-1")
    projects.approve(people, "appy", "p-1")
    result = projects.revoke(people, "ada", "p-1", reason="breach of terms")
    assert result["status"] == "revoked"
    assert result["permit"]["revoked_reason"] == "breach of terms"
    with session_scope(people) as session:
        permit = session.execute(select(Permit)).scalar_one()
        assert permit.revoked_at is not None and permit.revoked_by == "ada"
        assert permit.document()["revoked"] is True


def test_members_and_separation_of_duties(people: Settings, application_file: Path) -> None:
    projects.apply(people, "lena", application_file)
    projects.approve(people, "appy", "p-1")
    projects.add_member(people, "ada", "p-1", "ana", "analyst")
    with pytest.raises(PolicyDenied, match="separation of duties"):
        users.add_user(people, "ada", "appy", ["approver", "output_checker"])
        projects.add_member(people, "ada", "p-1", "appy", "output_checker")
    result = projects.add_member(people, "ada", "p-1", "chk", "output_checker")
    assert {"username": "chk", "role": "output_checker"} in result["members"]
    with pytest.raises(PolicyDenied, match="not a project role"):
        projects.add_member(people, "ada", "p-1", "otto", "boss")
    with pytest.raises(PolicyDenied, match="needs an account"):
        projects.add_member(people, "ada", "p-1", "nobody", "analyst")
    with pytest.raises(PolicyDenied, match="only an approver or an admin"):
        projects.add_member(people, "lena", "p-1", "otto", "analyst")
    with pytest.raises(PolicyDenied, match="cannot be removed"):
        projects.remove_member(people, "ada", "p-1", "lena")
    result = projects.remove_member(people, "ada", "p-1", "ana")
    assert all(m["username"] != "ana" for m in result["members"])
    with pytest.raises(PolicyDenied, match="ana is not a member"):
        projects.remove_member(people, "ada", "p-1", "ana")
    assert actions(people).count("project.members.add") == 2
    assert actions(people).count("project.members.remove") == 1


def test_separation_of_duties_can_be_switched_off(
    people: Settings, application_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tre.config import load_settings

    projects.apply(people, "lena", application_file)
    projects.approve(people, "appy", "p-1")
    monkeypatch.setenv("TRE_SEPARATION_OF_DUTIES", "false")
    relaxed = load_settings()
    result = projects.add_member(relaxed, "ada", "p-1", "appy", "output_checker")
    assert {"username": "appy", "role": "output_checker"} in result["members"]


def test_list_and_show_respect_visibility(people: Settings, application_file: Path) -> None:
    projects.apply(people, "lena", application_file)
    projects.apply(people, "otto", application_file)
    assert [p["id"] for p in projects.list_projects(people, "ada")] == ["p-1", "p-2"]
    assert [p["id"] for p in projects.list_projects(people, "lena")] == ["p-1"]
    assert [p["id"] for p in projects.list_projects(people, "ana")] == []
    with pytest.raises(PolicyDenied, match="only project members"):
        projects.show(people, "ana", "p-1")
    with pytest.raises(NotFound):
        projects.show(people, "ada", "p-99")


def test_register_publishes_every_decision(people: Settings, application_file: Path) -> None:
    for applicant in ("lena", "otto", "ana"):
        projects.apply(people, applicant, application_file)
    projects.ask(people, "appy", "p-1", "Which ethics committee approved this?")
    with pytest.raises(PolicyDenied, match="only a submitted application"):
        projects.approve(people, "appy", "p-1")
    app = projects.current_application(people, "lena", "p-1")
    projects.resubmit(people, "lena", "p-1", app, "The university's committee, ref 42.")
    projects.approve(people, "appy", "p-1", grant={"synthea.patients": ["sex"]}, reason="Sound.")
    projects.reject(people, "appy", "p-2", reason="no ethics approval")
    entries = projects.register(people)
    assert [e["id"] for e in entries] == ["p-1", "p-2"]  # p-3 is undecided: not published
    approved, rejected = entries
    assert approved["data"] == {"synthea.patients": ["sex"]}  # what was granted
    assert approved["decision"] == "approve" and approved["reasons"] == "Sound."
    assert approved["question_rounds"] == 1 and approved["permit"]["valid_to"] is not None
    assert rejected["decision"] == "reject" and rejected["reasons"] == "no ethics approval"
    assert rejected["data"] == {
        "synthea.conditions": ["code"],
        "synthea.patients": ["birth_month", "sex"],
    }
    assert rejected["permit"] is None
    for entry in entries:  # no reviewer, member or applicant is named
        text = json.dumps(entry, default=str)
        assert "appy" not in text and "lena" not in text and "otto" not in text


def test_policy_input_for_other_services(people: Settings, application_file: Path) -> None:
    projects.apply(people, "lena", application_file)
    projects.approve(people, "appy", "p-1")
    with session_scope(people) as session:
        project = projects.get_project(session, "p-1")
        document = projects.policy_input(session, "lena", project, request={"status": "draft"})
    assert document["actor"] == {"username": "lena", "roles": ["analyst"], "known": True}
    assert document["project"]["approvers"] == ["appy"]
    assert document["project"]["members"] == {"lena": "lead"}
    assert document["project"]["provisioned"] is False
    assert document["permit"]["revoked"] is False
    assert document["request"] == {"status": "draft"}


def test_users_bootstrap_and_roles(gov: Settings) -> None:
    with pytest.raises(PolicyDenied, match="only an admin"):
        users.add_user(gov, "eve", "mallory", ["admin"])
    users.add_user(gov, "ada", "ada", ["admin"])
    with pytest.raises(PolicyDenied, match="only an admin"):
        users.add_user(gov, "bob", "bob", ["admin"])
    with pytest.raises(PolicyDenied, match="not a role"):
        users.add_user(gov, "ada", "bob", ["wizard"])
    with pytest.raises(InputError):
        users.add_user(gov, "ada", "Bob Smith", ["analyst"])
    users.add_user(gov, "ada", "bob", ["analyst"])
    users.add_user(gov, "ada", "bob", ["analyst", "output_checker"])
    assert users.list_users(gov, "ada")[1]["roles"] == ["analyst", "output_checker"]
    with pytest.raises(PolicyDenied):
        users.list_users(gov, "bob")
    assert actions(gov) == ["user.add", "user.add", "user.roles"]


def test_concurrent_applications_get_distinct_ids(people: Settings, application_file: Path) -> None:
    import threading

    ids: list[str] = []
    errors: list[BaseException] = []

    def apply_once(applicant: str) -> None:
        try:
            ids.append(projects.apply(people, applicant, application_file)["id"])
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=apply_once, args=(name,))
        for name in ("lena", "otto", "ana", "lena", "otto", "ana")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(ids, key=lambda i: int(i[2:])) == [f"p-{n}" for n in range(1, 7)]
    assert chain_ok(people)


def leads(result: dict[str, object]) -> list[str]:
    return [m["username"] for m in result["members"] if m["role"] == "lead"]  # type: ignore[attr-defined, index]


def test_adding_an_existing_member_changes_nothing(
    people: Settings, application_file: Path
) -> None:
    """`members add` on the lead once replaced the lead's role and left no lead."""
    projects.apply(people, "lena", application_file)
    projects.approve(people, "appy", "p-1")
    before = actions(people)
    for role in ("analyst", "output_checker", "lead"):
        with pytest.raises(PolicyDenied, match="lena is already a member"):
            projects.add_member(people, "ada", "p-1", "lena", role)
    with pytest.raises(PolicyDenied, match="one lead"):
        projects.add_member(people, "ada", "p-1", "otto", "lead")
    result = projects.show(people, "ada", "p-1")
    assert leads(result) == ["lena"] and len(result["members"]) == 1
    assert actions(people) == before


def test_roles_change_explicitly_and_the_lead_only_by_hand_over(
    people: Settings, application_file: Path
) -> None:
    projects.apply(people, "lena", application_file)
    projects.approve(people, "appy", "p-1")
    projects.add_member(people, "ada", "p-1", "ana", "analyst")
    projects.add_member(people, "ada", "p-1", "chk", "output_checker")
    with pytest.raises(PolicyDenied, match="only by handing the lead over"):
        projects.set_role(people, "ada", "p-1", "lena", "analyst")
    with pytest.raises(PolicyDenied, match="one lead"):
        projects.set_role(people, "ada", "p-1", "ana", "lead")
    with pytest.raises(PolicyDenied, match="may not also check its outputs"):
        projects.set_role(people, "ada", "p-1", "ana", "output_checker")
    with pytest.raises(PolicyDenied, match="only to an analyst"):
        projects.hand_over(people, "ada", "p-1", "chk")
    with pytest.raises(PolicyDenied, match="lead cannot be removed"):
        projects.remove_member(people, "ada", "p-1", "lena")
    result = projects.hand_over(people, "ada", "p-1", "ana")
    assert leads(result) == ["ana"]
    assert {"username": "lena", "role": "analyst"} in result["members"]
    result = projects.remove_member(people, "ada", "p-1", "lena")  # no longer the lead
    assert leads(result) == ["ana"]
    assert actions(people)[-2:] == ["project.members.handover", "project.members.remove"]
    assert chain_ok(people)


def test_questions_go_back_to_the_applicant_and_answers_come_back(
    people: Settings, application_file: Path
) -> None:
    projects.apply(people, "lena", application_file)
    with pytest.raises(PolicyDenied, match="needs its text"):
        projects.ask(people, "appy", "p-1", "   ")
    result = projects.ask(people, "appy", "p-1", "How will small counts be handled?")
    assert result["status"] == "returned"
    with pytest.raises(PolicyDenied, match="only a submitted application"):
        projects.reject(people, "appy", "p-1", reason="no")
    app = projects.current_application(people, "lena", "p-1")
    changed = app.model_copy(update={"expected_outputs": "Tables with counts of ten or more."})
    with pytest.raises(PolicyDenied, match="only the project's lead"):
        projects.resubmit(people, "ana", "p-1", changed, "Counts under ten are suppressed.")
    with pytest.raises(PolicyDenied, match="needs its text"):
        projects.resubmit(people, "lena", "p-1", changed, "")
    result = projects.resubmit(people, "lena", "p-1", changed, "Counts under ten are suppressed.")
    assert result["status"] == "submitted"
    assert result["expected_outputs"] == "Tables with counts of ten or more."
    assert [d["kind"] for d in result["decisions"]] == ["ask", "answer"]
    assert actions(people)[-2:] == ["project.ask", "project.resubmit"]


def test_a_rejection_needs_reasons(people: Settings, application_file: Path) -> None:
    projects.apply(people, "lena", application_file)
    with pytest.raises(PolicyDenied, match="a rejection needs reasons"):
        projects.reject(people, "appy", "p-1", reason=" ")
    assert projects.show(people, "ada", "p-1")["status"] == "submitted"


def test_permit_terms_narrow_the_application_and_keep_the_datas_tier(
    people: Settings, tmp_path: Path
) -> None:
    from governance_world import write_application

    path = write_application(
        tmp_path / "a.yaml", {"synthea.patients": ["sex"], "registry.genomes": ["variant"]}
    )
    projects.apply(people, "lena", path)
    with pytest.raises(PolicyDenied, match=r"dataset synthea\.conditions was not"):
        projects.approve(people, "appy", "p-1", grant={"synthea.conditions": ["code"]})
    with pytest.raises(PolicyDenied, match="needs the high tier"):
        projects.approve(people, "appy", "p-1", tier="standard")
    result = projects.approve(
        people, "appy", "p-1", grant={"synthea.patients": ["sex"]}, tier="standard",
        valid_from=date(2030, 1, 1), valid_to=date(2031, 1, 1),
    )  # fmt: skip
    assert result["permit"]["grant"] == {"synthea.patients": ["sex"]}
    assert result["tier"] == "standard" and result["permit"]["tier"] == "standard"
    assert result["permit"]["valid_from"] == date(2030, 1, 1)


def test_the_team_joins_as_analysts_and_needs_accounts(people: Settings, tmp_path: Path) -> None:
    import yaml
    from governance_world import application_yaml

    data = yaml.safe_load(application_yaml())
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump({**data, "team": ["ana", "nobody"]}))
    with pytest.raises(PolicyDenied, match="team member nobody needs an account"):
        projects.apply(people, "lena", path)
    path.write_text(yaml.safe_dump({**data, "team": ["ana"]}))
    result = projects.apply(people, "lena", path)
    assert result["members"] == [
        {"username": "lena", "role": "lead"},
        {"username": "ana", "role": "analyst"},
    ]
