"""The locks pin every package with hashes, agree with each other, and are what is installed."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DEV_LOCK = ROOT / "requirements" / "dev.txt"
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
IMAGE_LOCK = ROOT / "images" / "workspace" / "requirements.txt"
IMAGE_INPUT = ROOT / "images" / "workspace" / "requirements.in"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _entries(path: Path) -> list[tuple[str, str, str, list[str]]]:
    """(name, version, marker, hashes) for each requirement of a lock file."""
    entries: list[tuple[str, str, str, list[str]]] = []
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("--hash="):
            assert entries, f"{path.name}: a hash before any requirement"
            entries[-1][3].append(stripped.removeprefix("--hash=").rstrip(" \\"))
            continue
        match = PIN.match(stripped)
        assert match, f"{path.name}: not an exact pin: {stripped!r}"
        name, version, marker = match.groups()
        entries.append((canonicalize_name(name), version, marker or "", []))
    return entries


IMAGE_PYTHON = {"python_full_version": "3.11.2", "python_version": "3.11"}


def _applies(marker: str, environment: dict[str, str] | None) -> bool:
    return not marker or Marker(marker).evaluate(environment)


def _versions(path: Path, environment: dict[str, str] | None = None) -> dict[str, str]:
    """Name to version of the entries that apply here (or in `environment`)."""
    return {n: v for n, v, marker, _h in _entries(path) if _applies(marker, environment)}


@pytest.mark.parametrize("lock", [DEV_LOCK, RUNTIME_LOCK, IMAGE_LOCK], ids=lambda p: p.name)
def test_every_package_is_pinned_with_hashes(lock: Path) -> None:
    entries = _entries(lock)
    assert len(entries) > 40
    for name, _version, _marker, hashes in entries:
        assert hashes and all(h.startswith("sha256:") for h in hashes), name


def test_the_lock_holds_every_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    locked = _versions(DEV_LOCK)
    for text in declared:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is declared in pyproject.toml but not locked: make lock"
        assert requirement.specifier.contains(locked[name], prereleases=True), name


def test_runtime_and_image_locks_take_the_versions_of_the_project_lock() -> None:
    for lock, environment in ((RUNTIME_LOCK, None), (IMAGE_LOCK, IMAGE_PYTHON)):
        dev = _versions(DEV_LOCK, environment)
        for name, version in _versions(lock, environment).items():
            if name in dev:
                assert version == dev[name], f"{lock.name}: {name} {version} != {dev[name]}"
    # The workspace's single-user server talks to the hub: same JupyterHub on both sides.
    assert _versions(IMAGE_LOCK)["jupyterhub"] == _versions(DEV_LOCK)["jupyterhub"]


def test_the_image_lock_covers_its_inputs() -> None:
    locked = {n for n, *_ in _entries(IMAGE_LOCK)}
    for line in IMAGE_INPUT.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert canonicalize_name(Requirement(line).name) in locked, line


def test_this_environment_is_the_lock() -> None:
    """What runs these tests was installed from the lock, version for version."""
    installed = {
        canonicalize_name(d.metadata["Name"]): d.version
        for d in metadata.distributions()
        if d.metadata["Name"]
    }
    wrong = {
        name: (version, installed.get(name))
        for name, version in _versions(DEV_LOCK).items()
        if installed.get(name) != version
    }
    assert not wrong, f"installed versions differ from requirements/dev.txt: {wrong}"
