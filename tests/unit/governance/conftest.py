"""Governance fixtures: a migrated control database on SQLite and on PostgreSQL.

Every test using `gov` runs twice: on SQLite in its own TRE_HOME, and on PostgreSQL in a
schema of its own (marked `postgres`; skips locally without TRE_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tre import application, users
from tre.config import Settings, load_settings
from tre.db import dispose_engines, init_db
from tre.db.testing import postgres_schema

PEOPLE = {
    "ada": ["admin"],
    "appy": ["approver"],
    "chk": ["output_checker"],
    "lena": ["analyst"],
    "ana": ["analyst"],
    "otto": ["analyst"],
}

APPLICATION = """\
title: Diabetes care and outcomes
lay_summary: How diabetes care affects outcomes, studied over ten years of records.
purpose: scientific_research
organisation: University of Example
datasets:
  synthea.patients: [sex, birth_month]
  synthea.conditions: [code]
period: {start: 2025-01-01, end: 2099-12-31}
"""


def fake_catalogue() -> SimpleNamespace:
    """A tiny lake catalogue: the attributes tre.application reads."""

    def dataset(name: str, columns: list[str], tier: str = "standard") -> SimpleNamespace:
        return SimpleNamespace(
            name=name, tier=tier, columns=[SimpleNamespace(name=c) for c in columns]
        )

    return SimpleNamespace(
        datasets=[
            dataset("synthea.patients", ["person_id", "sex", "birth_month", "region"]),
            dataset("synthea.conditions", ["person_id", "code", "onset"]),
            dataset("registry.genomes", ["person_id", "variant"], tier="high"),
        ]
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def gov(
    request: pytest.FixtureRequest, tre_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings with a migrated, empty control database and a fake lake catalogue."""
    monkeypatch.setattr(application, "load_catalogue", lambda settings: fake_catalogue())
    if request.param == "postgres":
        with postgres_schema(os.environ["TRE_TEST_POSTGRES_URL"]) as url:
            monkeypatch.setenv("TRE_DATABASE_URL", url)
            settings = load_settings()
            init_db(settings)
            yield settings
    else:
        settings = load_settings()
        init_db(settings)
        yield settings
        dispose_engines()


@pytest.fixture
def people(gov: Settings) -> Settings:
    """`gov` with the standard cast: ada (first admin) adds everyone else."""
    users.add_user(gov, "ada", "ada", ["admin"])
    for name, roles in PEOPLE.items():
        if name != "ada":
            users.add_user(gov, "ada", name, roles)
    return gov


@pytest.fixture
def application_file(tmp_path: Path) -> Path:
    path = tmp_path / "application.yaml"
    path.write_text(APPLICATION)
    return path
