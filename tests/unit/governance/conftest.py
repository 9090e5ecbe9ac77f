"""Governance fixtures: a migrated control database on SQLite and on PostgreSQL.

Every test using `gov` runs twice: on SQLite in its own TRE_HOME, and on PostgreSQL in a
schema of its own (marked `postgres`; skips locally without TRE_TEST_POSTGRES_URL).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from governance_world import (
    BACKENDS,
    PATIENTS,
    add_people,
    control_database,
    use_fake_catalogue,
    write_application,
)

from tre.config import Settings, load_settings
from tre.db import init_db

PEOPLE = {
    "ada": ["admin"],
    "appy": ["approver"],
    "chk": ["output_checker"],
    "lena": ["analyst"],
    "ana": ["analyst"],
    "otto": ["analyst"],
}


@pytest.fixture(params=BACKENDS)
def gov(
    request: pytest.FixtureRequest, tre_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings with a migrated, empty control database and a fake lake catalogue."""
    use_fake_catalogue(monkeypatch)
    with control_database(request.param, monkeypatch):
        settings = load_settings()
        init_db(settings)
        yield settings


@pytest.fixture
def people(gov: Settings) -> Settings:
    """`gov` with the standard cast: ada (first admin) adds everyone else."""
    add_people(gov, PEOPLE)
    return gov


@pytest.fixture
def application_file(tmp_path: Path) -> Path:
    datasets = {**PATIENTS, "synthea.conditions": ["code"]}
    return write_application(tmp_path / "application.yaml", datasets)
