"""Fixtures: a real lake (ingested once per session) copied into each test's TRE home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dab_world import build_template, make_world

from tre.config import Settings
from tre.db import dispose_engines


@pytest.fixture(scope="session")
def lake_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("dab-lake"))


@pytest.fixture
def world(
    lake_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    settings = make_world(lake_template, tmp_path / "home", monkeypatch)
    yield settings
    dispose_engines()
