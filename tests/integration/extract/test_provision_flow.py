"""Provisioning end to end: real control database (SQLite), real policy, real lake ingest
of the shared Synthea data, the `tre` command line, and a build killed midway."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from cli_accounts import act_as, allow_cli
from sqlalchemy import select

from tre import projects
from tre.cli import main
from tre.cli.init import initialise
from tre.config import Settings, load_settings
from tre.db import AuditEvent, Permit, dispose_engines, session_scope
from tre.errors import PolicyDenied
from tre.extract import layout, service
from tre.extract.builder import CRASH_AFTER_ENV
from tre.lake.catalog import load_catalog
from tre.lake.ingest import ingest_fhir
from tre.lake.optout import add_optout, lake_person_id
from tre.users import add_user

TRE_CLI = str(Path(sys.executable).parent / "tre")
GRANT = {
    "synthea.patient": ["person_id", "gender", "birth_year_month", "region"],
    "synthea.condition": ["person_id", "encounter_id", "code", "onset"],
    "synthea.encounter": ["encounter_id", "person_id", "class_code", "period_start"],
}


@pytest.fixture
def tre(tre_home: Path, synthea_bulk: Path) -> Iterator[Settings]:
    settings = load_settings()
    initialise(settings)
    add_user(settings, "admin1", "admin1", ["admin"])
    add_user(settings, "admin1", "approver1", ["approver"])
    add_user(settings, "admin1", "alice", ["analyst"])
    add_user(settings, "admin1", "bob", ["analyst"])
    ingest_fhir(settings, [synthea_bulk], "synthea", actor="test-admin")
    yield settings
    dispose_engines()


def _patient_ids(synthea_bulk: Path) -> list[str]:
    lines = (synthea_bulk / "Patient.000.ndjson").read_text().splitlines()
    return [json.loads(line)["id"] for line in lines if line.strip()]


def _approved_project(settings: Settings, applicant: str, title: str, tmp: Path) -> str:
    project_id = _applied_project(settings, applicant, title, tmp)
    projects.approve(settings, "approver1", project_id)
    return project_id


def _applied_project(settings: Settings, applicant: str, title: str, tmp: Path) -> str:
    app_file = tmp / f"{applicant}.yaml"
    app_file.write_text(
        json.dumps(
            {
                "title": title,
                "lay_summary": "How conditions relate to encounters across regions over time.",
                "purpose": "scientific_research",
                "purpose_description": "Relate conditions to encounters across regions.",
                "lawful_basis": "public_interest",
                "organisation": f"{applicant} university",
                "datasets": GRANT,
                "expected_outputs": "Aggregate counts by region.",
                "period": {"start": "2024-01-01", "end": "2099-12-31"},
            }
        )
    )
    return str(projects.apply(settings, applicant, app_file)["id"])


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    main([*args, "--json"])
    return json.loads(capsys.readouterr().out)


def _lookup_reveals_no_pseudonym(
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    identifier: str,
    found: dict,
    extracts: list[Path | None],
) -> None:
    """Neither the JSON nor the printed lookup holds the person's lake pseudonym, any
    extract's identifier values, or the identifier asked about."""
    capsys.readouterr()
    main(["transparency", "lookup", "--source", "synthea", "--id", identifier])
    outputs = [json.dumps(found, default=str), capsys.readouterr().out]
    forbidden = {lake_person_id(settings, "synthea", identifier), identifier}
    for extract in extracts:
        assert extract is not None
        rows = (
            duckdb.connect()
            .execute(f"SELECT DISTINCT person_id FROM '{extract}/data/synthea.patient.parquet'")
            .fetchall()
        )
        forbidden |= {str(r[0]) for r in rows}
    assert len(forbidden) > 10
    for text in outputs:
        assert "Conditions and encounters" in text  # the real answer, not an error
        assert not [v for v in forbidden if v in text]


def test_provision_refresh_transparency(
    tre: Settings,
    synthea_bulk: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p1 = _approved_project(tre, "alice", "Conditions and encounters", tmp_path)
    p2 = _approved_project(tre, "bob", "Another study", tmp_path)
    act_as(monkeypatch, "admin1")

    # Only an admin provisions.
    with pytest.raises(PolicyDenied):
        service.provision(tre, p1, "alice")

    first = _cli(capsys, "project", "provision", p1)
    assert first["persons"] == 13
    current = layout.current_path(tre, p1)
    assert current is not None and (current / "catalog.duckdb").is_file()
    con = duckdb.connect(
        str(current / "catalog.duckdb"), read_only=True, config={"file_search_path": str(current)}
    )
    for name, cols in GRANT.items():
        assert [d[0] for d in con.execute(f"SELECT * FROM {name} LIMIT 0").description] == cols
    con.close()

    _cli(capsys, "project", "provision", p2)
    ids = _patient_ids(synthea_bulk)
    found = _cli(capsys, "transparency", "lookup", "--source", "synthea", "--id", ids[0])
    assert [p["id"] for p in found["projects"]] == [p1, p2]
    assert found["projects"][0]["title"] == "Conditions and encounters"
    assert found["opted_out"] is False
    _lookup_reveals_no_pseudonym(
        tre, capsys, ids[0], found, [layout.current_path(tre, p) for p in (p1, p2)]
    )
    nobody = _cli(capsys, "transparency", "lookup", "--source", "synthea", "--id", "not-a-patient")
    assert nobody["projects"] == [] and nobody["opted_out"] is False

    # Two projects share no person identifier.
    a, b = layout.current_path(tre, p1), layout.current_path(tre, p2)
    shared = duckdb.sql(
        f"SELECT count(*) FROM '{a}/data/synthea.condition.parquet' x "
        f"SEMI JOIN '{b}/data/synthea.condition.parquet' y "
        "ON x.person_id = y.person_id OR x.encounter_id = y.encounter_id"
    ).fetchall()
    assert shared == [(0,)]

    # No value anywhere in the extract equals any lake pseudonym (vectorised check).
    lake = load_catalog(tre)
    ids_sql = " UNION ".join(
        f"SELECT {c.name} AS v FROM '{d.path}'"
        for d in lake.datasets
        for c in d.columns
        if c.role in ("person_id", "pseudonym")
    )
    check = duckdb.connect()
    check.execute(f"CREATE TABLE lake_ids AS {ids_sql}")
    for f in (a / "data").glob("*.parquet"):
        for col, typ, *_ in check.execute(f"DESCRIBE SELECT * FROM '{f}'").fetchall():
            if typ == "VARCHAR":
                hits = check.execute(
                    f"SELECT count(*) FROM '{f}' SEMI JOIN lake_ids ON {col} = v"
                ).fetchall()
                assert hits == [(0,)], f"{f.name}.{col}"

    # Opt out, refresh: the person disappears from p1; transparency still lists history.
    add_optout(tre, "synthea", ids[0], actor="test-admin")
    old_build = layout.current_build(tre, p1)
    refreshed = _cli(capsys, "project", "refresh", p1)
    assert refreshed["persons"] == 12
    assert layout.current_build(tre, p1) != old_build
    assert (layout.builds_dir(tre, p1) / str(old_build)).is_dir()  # kept as `previous`
    found = _cli(capsys, "transparency", "lookup", "--source", "synthea", "--id", ids[0])
    assert found["opted_out"] is True and [p["id"] for p in found["projects"]] == [p1, p2]

    # A third build collects the first (neither current nor previous).
    _cli(capsys, "project", "refresh", p1)
    assert not (layout.builds_dir(tre, p1) / str(old_build)).exists()
    assert len(list(layout.builds_dir(tre, p1).iterdir())) == 2

    # A cohort filter on the permit selects persons in every table.
    with session_scope(tre) as session:
        permit = session.execute(select(Permit).where(Permit.project_id == p2)).scalar_one()
        permit.cohort_filter = "gender = 'female'"
    result = _cli(capsys, "project", "refresh", p2)
    b = layout.current_path(tre, p2)
    genders = duckdb.sql(f"SELECT DISTINCT gender FROM '{b}/data/synthea.patient.parquet'")
    assert genders.fetchall() == [("female",)]
    assert result["persons"] < 13
    orphans = duckdb.sql(
        f"SELECT count(*) FROM '{b}/data/synthea.encounter.parquet' e "
        f"ANTI JOIN '{b}/data/synthea.patient.parquet' p USING (person_id)"
    ).fetchall()
    assert orphans == [(0,)]


def test_malicious_cohort_filter_fails_cleanly(
    tre: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p1 = _approved_project(tre, "alice", "Conditions and encounters", tmp_path)
    with session_scope(tre) as session:
        permit = session.execute(select(Permit).where(Permit.project_id == p1)).scalar_one()
        permit.cohort_filter = "region = (SELECT content FROM read_text('/etc/passwd'))"
    allow_cli(tre.home_path, "admin1")
    env = {**os.environ, "TRE_USER": "admin1"}
    out = subprocess.run(
        [TRE_CLI, "project", "provision", p1],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
    assert "CohortFilterError" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert layout.current_build(tre, p1) is None


def test_cohort_filter_given_at_approval_restricts_every_table(
    tre: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p1 = _applied_project(tre, "alice", "Conditions and encounters", tmp_path)
    act_as(monkeypatch, "approver1")
    approved = _cli(capsys, "project", "approve", p1, "--cohort-filter", "gender='female'")
    # Stored as it will run (sqlglot's rendering), shown with the permit.
    assert approved["permit"]["cohort_filter"] == "gender = 'female'"
    act_as(monkeypatch, "admin1")
    _cli(capsys, "project", "provision", p1)
    b = layout.current_path(tre, p1)
    genders = duckdb.sql(f"SELECT DISTINCT gender FROM '{b}/data/synthea.patient.parquet'")
    assert genders.fetchall() == [("female",)]
    outside = duckdb.sql(
        f"SELECT count(*) FROM '{b}/data/synthea.condition.parquet' c "
        f"ANTI JOIN '{b}/data/synthea.patient.parquet' p USING (person_id)"
    ).fetchall()
    assert outside == [(0,)]


@pytest.mark.parametrize(
    "bad",
    [
        "region = (SELECT content FROM read_text('/etc/passwd'))",
        "gender = 'female'; DROP TABLE permits",
        "person_id = 'x'",  # an identifier column
        "code = 'E11'",  # a column of another table
    ],
)
def test_a_bad_cohort_filter_is_refused_at_approval(
    tre: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    bad: str,
) -> None:
    p1 = _applied_project(tre, "alice", "Conditions and encounters", tmp_path)
    act_as(monkeypatch, "approver1")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["project", "approve", p1, "--cohort-filter", bad])
    assert exited.value.code == 6
    err = capsys.readouterr().err
    assert "cohort filter" in err.lower() and "Traceback" not in err
    # Nothing was decided: no permit, the application still waits.
    shown = projects.show(tre, "approver1", p1)
    assert shown["permit"] is None and shown["status"] == "submitted"


def test_revoking_deletes_the_extract_but_not_who_was_in_it(
    tre: Settings,
    tmp_path: Path,
    synthea_bulk: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p1 = _approved_project(tre, "alice", "Conditions and encounters", tmp_path)
    act_as(monkeypatch, "admin1")
    _cli(capsys, "project", "provision", p1)
    _cli(capsys, "project", "refresh", p1)  # two builds: current and previous
    builds = layout.builds_dir(tre, p1)
    assert len(list(builds.iterdir())) == 2

    # The extract stays while the project is approved.
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["project", "delete-extract", p1])
    assert exited.value.code != 0 and "only a revoked project" in capsys.readouterr().err
    assert len(list(builds.iterdir())) == 2

    act_as(monkeypatch, "approver1")
    revoked = _cli(capsys, "project", "revoke", p1, "--reason", "ended")
    assert revoked["status"] == "revoked" and len(revoked["extract"]["removed_builds"]) == 2
    assert list(builds.iterdir()) == [] and layout.current_path(tre, p1) is None
    assert not (layout.project_dir(tre, p1) / "previous").exists()
    # Who was in it is still answered: the data went, the record of its use did not.
    act_as(monkeypatch, "admin1")
    ids = _patient_ids(synthea_bulk)
    found = _cli(capsys, "transparency", "lookup", "--source", "synthea", "--id", ids[0])
    assert [p["id"] for p in found["projects"]] == [p1]
    # Deleting again finds nothing; provisioning a revoked project is refused.
    again = _cli(capsys, "project", "delete-extract", p1)
    assert again["extract"]["removed_builds"] == []
    with pytest.raises(PolicyDenied):
        service.provision(tre, p1, "admin1")


def test_a_permit_revoked_during_a_build_publishes_nothing(
    tre: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p1 = _approved_project(tre, "alice", "Conditions and encounters", tmp_path)
    real_build = service.build_extract

    def build_then_revoke(*args: object, **kwargs: object) -> object:
        result = real_build(*args, **kwargs)  # type: ignore[arg-type]
        projects.revoke(tre, "approver1", p1, "revoked while building")
        return result

    monkeypatch.setattr(service, "build_extract", build_then_revoke)
    with pytest.raises(PolicyDenied):
        service.provision(tre, p1, "admin1")
    assert layout.current_path(tre, p1) is None
    assert list(layout.builds_dir(tre, p1).iterdir()) == []


def test_the_operator_deletes_extracts_whose_permit_ended(tre: Settings, tmp_path: Path) -> None:
    expired = _approved_project(tre, "alice", "Conditions and encounters", tmp_path)
    current = _approved_project(tre, "bob", "Encounters by region", tmp_path)
    for project_id in (expired, current):
        service.provision(tre, project_id, "admin1")
    # The permit ends: the next round after its last day deletes that extract only.
    with session_scope(tre) as session:
        permit = session.execute(select(Permit).where(Permit.project_id == expired)).scalar_one()
        last_day = permit.valid_to = permit.valid_from
    assert service.delete_lapsed_extracts(tre, today=last_day) == []
    after = last_day + timedelta(days=1)
    assert service.delete_lapsed_extracts(tre, today=after) == [expired]
    assert layout.current_path(tre, expired) is None
    assert list(layout.builds_dir(tre, expired).iterdir()) == []
    assert layout.current_path(tre, current) is not None
    assert service.delete_lapsed_extracts(tre, today=after) == []  # nothing left to delete
    # A project being built is left for the next round.
    with session_scope(tre) as session:
        session.execute(
            select(Permit).where(Permit.project_id == current)
        ).scalar_one().valid_to = last_day
    with layout.project_lock(tre, current):
        assert service.delete_lapsed_extracts(tre, today=after) == []
    assert service.delete_lapsed_extracts(tre, today=after) == [current]
    with session_scope(tre) as session:
        events = (
            session.execute(select(AuditEvent).where(AuditEvent.action == "project.extract_delete"))
            .scalars()
            .all()
        )
        assert [(e.actor, e.object_id) for e in events] == [
            (service.OPERATOR, expired),
            (service.OPERATOR, current),
        ]


def test_killed_build_leaves_previous_extract_and_rerun_succeeds(
    tre: Settings, tmp_path: Path
) -> None:
    p1 = _approved_project(tre, "alice", "Conditions and encounters", tmp_path)
    allow_cli(tre.home_path, "admin1")
    env = {**os.environ, "TRE_USER": "admin1"}
    cmd = [TRE_CLI, "project", "provision", p1, "--json"]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    before = layout.current_path(tre, p1)
    assert before is not None
    snapshot = {p: p.read_bytes() for p in before.rglob("*") if p.is_file()}

    killed = subprocess.run(
        cmd, env={**env, CRASH_AFTER_ENV: "1"}, capture_output=True, check=False
    )
    assert killed.returncode == -signal.SIGKILL
    assert layout.current_path(tre, p1) == before
    assert {p: p.read_bytes() for p in before.rglob("*") if p.is_file()} == snapshot
    leftovers = [p for p in layout.builds_dir(tre, p1).iterdir() if p.name.startswith(".tmp-")]
    assert leftovers, "the killed build should have left its temporary directory"

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    after = layout.current_path(tre, p1)
    assert after is not None and after != before
    assert json.loads(rerun.stdout)["persons"] == 13
    assert not [p for p in layout.builds_dir(tre, p1).iterdir() if p.name.startswith(".tmp-")]
