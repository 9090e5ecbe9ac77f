"""Immutable lake snapshots: written under `lake_path/.staging/`, renamed into place.

A snapshot is `lake_path/snapshots/<id>/` holding `manifest.json` and `<table>.parquet`.
Only a complete snapshot is ever renamed into `snapshots/`; an interrupted ingest leaves at
most a staging folder, which the next ingest removes (under the lake lock), so an ingest can
always be rerun.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tre.config import Settings
from tre.errors import NotFound

MANIFEST = "manifest.json"


def snapshots_dir(settings: Settings) -> Path:
    return settings.lake_path / "snapshots"


def staging_dir(settings: Settings) -> Path:
    return settings.lake_path / ".staging"


@contextmanager
def lake_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time; stale staging folders are cleared once the lock is held."""
    settings.lake_path.mkdir(parents=True, exist_ok=True)
    with (settings.lake_path / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            shutil.rmtree(staging_dir(settings), ignore_errors=True)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_snapshot_id(source: str) -> str:
    now = datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}Z-{source}-{secrets.token_hex(3)}"


@contextmanager
def staged(settings: Settings, snapshot_id: str) -> Iterator[Path]:
    """A fresh staging folder, removed whatever happens unless it was published."""
    path = staging_dir(settings) / snapshot_id
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def file_sha256(path: Path, *, sync: bool = False) -> str:
    """The file's sha256 (hex); with `sync`, also flushed to disk, so that the fsync when it
    is published finds nothing left to write."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
        if sync:
            os.fsync(handle.fileno())
    return digest.hexdigest()


def publish(settings: Settings, staging: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest, fsync, and rename the staging folder into `snapshots/`."""
    manifest_path = staging / MANIFEST
    with manifest_path.open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
        handle.flush()
        os.fsync(handle.fileno())
    for entry in staging.iterdir():
        if entry.is_file():
            with entry.open("rb") as handle:
                os.fsync(handle.fileno())
    target = snapshots_dir(settings) / staging.name
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(staging, target)
    for entry in target.iterdir():
        entry.chmod(0o444)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target


def list_snapshots(settings: Settings) -> list[dict[str, Any]]:
    """Manifests of every published snapshot, oldest first."""
    root = snapshots_dir(settings)
    if not root.is_dir():
        return []
    manifests = []
    for path in root.iterdir():
        manifest_path = path / MANIFEST
        if manifest_path.is_file():
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            manifest["path"] = str(path)
            manifests.append(manifest)
    return sorted(manifests, key=lambda m: (m["created_at"], m["id"]))


def latest_by_source(settings: Settings) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for manifest in list_snapshots(settings):
        latest[manifest["source"]] = manifest
    return latest


def get_snapshot(settings: Settings, snapshot_id: str) -> dict[str, Any]:
    for manifest in list_snapshots(settings):
        if manifest["id"] == snapshot_id:
            return manifest
    raise NotFound(f"No lake snapshot {snapshot_id}.", hint="List them with `tre lake snapshots`.")
