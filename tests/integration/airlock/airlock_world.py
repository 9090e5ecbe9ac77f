"""A small world for airlock tests: people, an approved project, its outputs/ and extract."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tre import application, projects, users
from tre.config import Settings

PEOPLE = {
    "ada": ["admin"],
    "appy": ["approver"],
    "chk1": ["output_checker"],
    "chk2": ["output_checker"],
    "lena": ["analyst", "output_checker"],  # a checker too: must still never review her own
    "ana": ["analyst"],
}

APPLICATION = """\
title: Diabetes care and outcomes
lay_summary: How diabetes care affects outcomes, studied over ten years of records.
purpose: scientific_research
organisation: University of Example
datasets:
  synthea.patients: [sex, birth_month]
period: {start: 2025-01-01, end: 2099-12-31}
"""

PERSON_IDS = [f"{i:064x}" for i in range(1, 301)]


def fake_catalogue() -> SimpleNamespace:
    cols = [SimpleNamespace(name=c) for c in ("person_id", "sex", "birth_month")]
    return SimpleNamespace(
        datasets=[SimpleNamespace(name="synthea.patients", tier="standard", columns=cols)]
    )


def build(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Create people and project p-1 (lena lead, ana analyst); return the project id."""
    monkeypatch.setattr(application, "load_catalogue", lambda s: fake_catalogue())
    users.add_user(settings, "ada", "ada", ["admin"])
    for name, roles in PEOPLE.items():
        if name != "ada":
            users.add_user(settings, "ada", name, roles)
    app_file = tmp_path / "application.yaml"
    app_file.write_text(APPLICATION)
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
