"""Shared by the governance and airlock tests: a control database on SQLite or PostgreSQL,
a tiny lake catalogue, people, and an application file.

Importable from any test module (the `tests/` folder is on the path through its conftest).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from tre import application, users
from tre.config import Settings
from tre.db import dispose_engines
from tre.db.testing import postgres_schema

#: Parameters of a fixture that runs on SQLite, and on PostgreSQL when it is there.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

#: The datasets an application asks for unless a test says otherwise.
PATIENTS = {"synthea.patients": ["sex", "birth_month"]}


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


def use_fake_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(application, "load_catalogue", lambda settings: fake_catalogue())


@contextmanager
def control_database(backend: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point TRE_DATABASE_URL at an empty PostgreSQL schema of its own (dropped afterwards),
    or leave the default SQLite database in TRE_HOME; yield the backend's name."""
    if backend == "postgres":
        with postgres_schema(os.environ["TRE_TEST_POSTGRES_URL"]) as url:
            monkeypatch.setenv("TRE_DATABASE_URL", url)
            yield backend
    else:
        yield backend
        dispose_engines()


def add_people(settings: Settings, people: dict[str, list[str]]) -> None:
    """Create the accounts; `ada` (the first admin) adds everyone else."""
    users.add_user(settings, "ada", "ada", ["admin"])
    for name, roles in people.items():
        if name != "ada":
            users.add_user(settings, "ada", name, roles)


def application_yaml(
    datasets: dict[str, list[str]] | None = None,
    title: str = "Diabetes care and outcomes",
) -> str:
    """A valid application (as `tre project apply` reads it) for `datasets`."""
    return yaml.safe_dump(
        {
            "title": title,
            "lay_summary": "How diabetes care affects outcomes, studied over ten years of records.",
            "purpose": "scientific_research",
            "purpose_description": "Compare outcomes of diabetes care between care pathways.",
            "lawful_basis": "public_interest",
            "organisation": "University of Example",
            "datasets": datasets or PATIENTS,
            "expected_outputs": "Aggregate tables of outcomes by care pathway.",
            "period": {"start": "2025-01-01", "end": "2099-12-31"},
        },
        sort_keys=False,
        allow_unicode=True,
    )


def write_application(path: Path, datasets: dict[str, list[str]] | None = None) -> Path:
    path.write_text(application_yaml(datasets))
    return path
