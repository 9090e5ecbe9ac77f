"""Fixtures for hostile-input tests: a project's outputs/, a data mount, a store, and a
check that a refusal lost nothing and left nothing half-written."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from governance_world import BACKENDS, control_database

from tre.airlock.intake import IntakeRefused, intake_file
from tre.airlock.store import ContentStore
from tre.config import Settings, load_settings
from tre.db import init_db


def tree_digest(root: Path) -> dict[str, tuple[str, str]]:
    """Every entry under root (not following links): kind and content hash or link target."""
    out: dict[str, tuple[str, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_file():
                st = p.stat()
                if st.st_size > 64 * 1024 * 1024:
                    out[rel] = ("big", f"{st.st_size}:{st.st_mtime_ns}")
                else:
                    out[rel] = ("file", hashlib.sha256(p.read_bytes()).hexdigest())
            else:
                out[rel] = ("other", oct(p.lstat().st_mode))
    return out


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    path = tmp_path / "workspaces" / "p-1" / "outputs"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def data_mount(tmp_path: Path) -> Path:
    """Stands in for the project's read-only extract (what must never leave)."""
    path = tmp_path / "extracts" / "p-1" / "current" / "data"
    path.mkdir(parents=True)
    (path / "patients.parquet").write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")
    (path / "patients.csv").write_text("person_id,birth\nabc,1970-01-01\n")
    return path


@pytest.fixture
def store(tmp_path: Path) -> ContentStore:
    return ContentStore(tmp_path / "airlock" / "store")


@pytest.fixture
def refuse(outputs: Path, store: ContentStore) -> Callable[..., IntakeRefused]:
    """Intake `relpath`, assert it is refused with `code` and a readable reason, and that
    nothing was lost (outputs/ unchanged) or half-written (store and staging empty)."""

    def run(relpath: str, code: str, **limits: int) -> IntakeRefused:
        before = tree_digest(outputs)
        with pytest.raises(IntakeRefused) as err:
            intake_file(outputs, relpath, store, **limits)
        assert err.value.code == code, str(err.value)
        assert err.value.message and "Traceback" not in str(err.value)
        assert tree_digest(outputs) == before, "outputs/ changed"
        leftovers = [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []
        assert leftovers == [], "a refused file reached the store or staging"
        return err.value

    return run


def _world(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, str]]:
    from airlock_world import build

    with control_database(backend, monkeypatch):
        settings = load_settings()
        init_db(settings)
        yield settings, build(settings, tmp_path, monkeypatch)


@pytest.fixture(params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, str]]:
    """Migrated database (SQLite, and PostgreSQL in a schema of its own), people, and an
    approved project p-1 with outputs/ and an extract."""
    yield from _world(request.param, tmp_path, monkeypatch)


@pytest.fixture
def sqlite_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, str]]:
    """Like `world`, on SQLite only (for a portal started as a separate process)."""
    yield from _world("sqlite", tmp_path, monkeypatch)


@pytest.fixture
def portal(
    world: tuple[Settings, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, str]]:
    """`world` with the portal's test-only sign-in switched on."""
    monkeypatch.setenv("TRE_PORTAL_TEST_LOGIN_INSECURE", "1")
    yield load_settings(), world[1]
