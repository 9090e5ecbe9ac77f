"""Publishing an approved request: an atomic copy from the store into the release area.

`airlock_path/releases/<request_id>/` holds `files/<path>` and `manifest.json` (request,
project, time, and each file's path, size and sha256). It is assembled in a staging
directory beside it, every file re-hashed against the store and fsync'd, then renamed into
place in one step: a reader sees all of a release or none. Re-running after an interruption
is safe (a complete release with the same manifest is left as it is).

`crate/` beside them holds the release's Five Safes RO-Crate (`<request_id>-five-safes-crate.zip`,
see `tre.airlock.crate`) and `crate.json` (its name, size, SHA-256 and BagIt
External-Identifier), built in a staging folder and renamed into place in one step too.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tre.airlock import crate
from tre.airlock.bag import ZipBag
from tre.airlock.store import CHUNK, ContentStore, StoreCorrupted
from tre.errors import NotFound, TreError
from tre.i18n import _
from tre.sdc import acro_results


@dataclass(frozen=True)
class ReleaseFile:
    path: str
    sha256: str
    size: int


def release_dir(airlock_path: Path, request_id: str) -> Path:
    return airlock_path / "releases" / request_id


def publish(
    airlock_path: Path,
    store: ContentStore,
    request_id: str,
    project_id: str,
    title: str,
    released_at: str,
    files: list[ReleaseFile],
) -> dict[str, Any]:
    """Copy `files` from `store` into the release area; return the manifest."""
    manifest: dict[str, Any] = {
        "request_id": request_id,
        "project_id": project_id,
        "title": title,
        "released_at": released_at,
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in files],
    }
    final = release_dir(airlock_path, request_id)
    if final.exists():
        existing = read_manifest(airlock_path, request_id)
        if existing["files"] == manifest["files"]:
            return existing
        raise TreError(_("A different release already exists for this request."))
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".staging-{request_id}-"))
    try:
        for f in files:
            _copy_verified(store, f, staging / "files" / PurePosixPath(f.path))
        body = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
        (staging / "manifest.json").write_bytes(body)
        _fsync_file(staging / "manifest.json")
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _copy_verified(store: ContentStore, f: ReleaseFile, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256()
    with store.open(f.sha256) as src, target.open("wb") as dst:
        while chunk := src.read(CHUNK):
            sha.update(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    if sha.hexdigest() != f.sha256:
        raise StoreCorrupted(_("A stored file no longer matches its hash; release stopped."))
    target.chmod(0o444)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def read_manifest(airlock_path: Path, request_id: str) -> dict[str, Any]:
    path = release_dir(airlock_path, request_id) / "manifest.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(_("This request has no release.")) from None
    return data


def released_file(airlock_path: Path, request_id: str, relpath: str) -> tuple[Path, str]:
    """Path and hash of one released file, only if the manifest lists it."""
    manifest = read_manifest(airlock_path, request_id)
    for entry in manifest["files"]:
        if entry["path"] == relpath:
            return release_dir(airlock_path, request_id) / "files" / relpath, entry["sha256"]
    raise NotFound(_("This release has no such file."))


def write_crate(airlock_path: Path, record: crate.CrateRecord) -> dict[str, Any]:
    """Build the crate of a published release and put it in place (replacing one left by an
    interrupted release); return what `crate_info` returns. Every released file is re-hashed
    while it is packed."""
    final = release_dir(airlock_path, record.request_id)
    files_dir = final / "files"
    staging = Path(tempfile.mkdtemp(dir=final, prefix=".crate-"))
    trash = final / ".crate-old"
    try:
        name = f"{record.top}.zip"
        target = staging / name
        with target.open("wb") as fh, ZipBag(fh, record.top) as bag:
            for f in record.files:
                if bag.add_file(crate.OUTPUTS + f.path, files_dir / f.path) != f.sha256:
                    raise StoreCorrupted(
                        _("A released file no longer matches its hash; crate not built.")
                    )
            document = crate.acro_document(record, files_dir)
            checksums = {crate.OUTPUTS + f.path: f.sha256 for f in record.files}
            for relpath, body in acro_results.folder_files(document, checksums).items():
                bag.add_bytes(relpath, body)
            metadata = json.dumps(crate.metadata(record), indent=2, ensure_ascii=False)
            bag.add_bytes("ro-crate-metadata.json", metadata.encode("utf-8"))
            bag.close(
                {
                    "External-Identifier": record.external_identifier,
                    "Source-Organization": record.tre_name,
                    "External-Description": f"Release {record.request_id} of project "
                    f"{record.project_id}: a Five Safes RO-Crate ({crate.PROFILE})",
                    "Bag-Software-Agent": f"tre {record.tool_version}",
                }
            )
            fh.flush()
            os.fsync(fh.fileno())
        info = {
            "name": name,
            "size": target.stat().st_size,
            "sha256": _sha256(target),
            "external_identifier": record.external_identifier,
        }
        (staging / "crate.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        _fsync_file(staging / "crate.json")
        target.chmod(0o444)
        shutil.rmtree(trash, ignore_errors=True)
        if (final / "crate").exists():
            os.rename(final / "crate", trash)
        os.rename(staging, final / "crate")
        shutil.rmtree(trash, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return info


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def crate_info(airlock_path: Path, request_id: str) -> dict[str, Any] | None:
    """Name, size, SHA-256 and External-Identifier of a release's crate; None without one."""
    path = release_dir(airlock_path, request_id) / "crate" / "crate.json"
    try:
        info: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return info


def crate_file(airlock_path: Path, request_id: str) -> tuple[Path, dict[str, Any]]:
    info = crate_info(airlock_path, request_id)
    if info is None:
        raise NotFound(_("This release has no Five Safes RO-Crate."))
    return release_dir(airlock_path, request_id) / "crate" / str(info["name"]), info


def manifest_digest(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest in canonical JSON (sorted keys, no spaces)."""
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
