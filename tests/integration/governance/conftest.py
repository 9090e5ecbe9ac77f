"""Fixtures for the command-line walk: a control database on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tre import application
from tre.db import dispose_engines
from tre.db.testing import postgres_schema


def fake_catalogue() -> SimpleNamespace:
    """A tiny lake catalogue with the attributes tre.application reads."""
    columns = [SimpleNamespace(name=c) for c in ("person_id", "sex", "birth_month")]
    return SimpleNamespace(
        datasets=[SimpleNamespace(name="synthea.patients", tier="standard", columns=columns)]
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, tre_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The backend name; TRE_DATABASE_URL points at an empty database for PostgreSQL."""
    monkeypatch.setattr(application, "load_catalogue", lambda settings: fake_catalogue())
    if request.param == "postgres":
        with postgres_schema(os.environ["TRE_TEST_POSTGRES_URL"]) as url:
            monkeypatch.setenv("TRE_DATABASE_URL", url)
            yield "postgres"
    else:
        yield "sqlite"
        dispose_engines()
