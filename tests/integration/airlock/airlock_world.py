"""A small world for airlock tests: people, an approved project, its outputs/ and extract."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from governance_world import add_people, use_fake_catalogue, write_application

from tre import projects
from tre.airlock import service
from tre.config import Settings

PEOPLE = {
    "ada": ["admin"],
    "appy": ["approver"],
    "chk1": ["output_checker"],
    "chk2": ["output_checker"],
    "chk3": ["output_checker"],  # a further reviewer, for when two disagree
    "lena": ["analyst", "output_checker"],  # a checker too: must still never review her own
    "ana": ["analyst"],
}

PERSON_IDS = [f"{i:064x}" for i in range(1, 301)]


def build(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Create people and project p-1 (lena lead, ana analyst); return the project id."""
    use_fake_catalogue(monkeypatch)
    add_people(settings, PEOPLE)
    app_file = write_application(tmp_path / "application.yaml")
    project_id = str(projects.apply(settings, "lena", app_file)["id"])
    projects.approve(settings, "appy", project_id)
    projects.add_member(settings, "ada", project_id, "ana", "analyst")
    outputs = settings.workspaces_path / project_id / "outputs"
    outputs.mkdir(parents=True)
    data = settings.extracts_path / project_id / "current" / "data"
    data.mkdir(parents=True)
    pq.write_table(
        pa.table({"person_id": PERSON_IDS, "sex": ["F", "M", "F"] * 100}),
        data / "patients.parquet",
    )
    return project_id


COUNTS = "sex,n\nF,150\nM,150\n"


def draft(
    settings: Settings,
    project: str,
    files: dict[str, str] | None = None,
    author: str = "lena",
    title: str = "Counts by sex",
) -> str:
    """A draft request of `author` with `files` (name -> text) written to outputs/ and added,
    and its group's context and controls given; return its id."""
    files = files if files is not None else {"counts.csv": COUNTS}
    for name, text in files.items():
        (settings.workspaces_path / project / "outputs" / name).write_text(text)
    rid = str(service.create(settings, author, project, title)["id"])
    service.add_files(settings, author, rid, list(files))
    service.set_group(settings, author, rid, "main", "Counts of patients by sex.", "Counts >= 10.")
    return rid


def submitted(settings: Settings, project: str, files: dict[str, str] | None = None) -> str:
    """`draft`, submitted for review (in review once the checks have run)."""
    rid = draft(settings, project, files)
    service.submit(settings, "lena", rid)
    return rid


def reviewed(settings: Settings, project: str, files: dict[str, str] | None = None) -> str:
    """`submitted`, with both checkers' approvals in: awaiting a decision."""
    rid = submitted(settings, project, files)
    for checker in ("chk1", "chk2"):
        service.review(
            settings, checker, rid, dict.fromkeys(files or {"counts.csv": ""}, "approve")
        )
    return rid


# A second project's application (project B, led by bob), complete as the schema asks.
OTHER_APPLICATION = """\
title: Asthma in children
lay_summary: How asthma care for children changed over ten years.
purpose: scientific_research
purpose_description: Describe how asthma care for children changed over time.
lawful_basis: public_interest
organisation: Example Institute
datasets:
  synthea.patients: [sex]
expected_outputs: Aggregate counts by year.
period: {start: 2025-01-01, end: 2099-12-31}
"""
