"""Fixtures for the command-line walk: a control database on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from governance_world import BACKENDS, control_database, use_fake_catalogue


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, tre_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The backend name; TRE_DATABASE_URL points at an empty database for PostgreSQL."""
    use_fake_catalogue(monkeypatch)
    with control_database(request.param, monkeypatch) as backend:
        yield backend
