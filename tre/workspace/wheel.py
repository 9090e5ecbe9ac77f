"""Package the `tre` sources as a wheel for the workspace image, without build tools.

The image installs it with `--no-deps` so that the client and the Jupyter server extension
are importable. The wheel is byte-for-byte identical for identical sources (fixed
timestamps, sorted entries), so Docker's layer cache keeps the image layer when nothing
changed. It is written aside and renamed into place.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from pathlib import Path

import tre

_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo", ".mo"}


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def _package_files(package_dir: Path) -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(package_dir):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        files += [
            Path(dirpath) / name
            for name in sorted(filenames)
            if Path(name).suffix not in _SKIP_SUFFIXES
        ]
    return files


def build_tre_wheel(dest_dir: Path) -> Path:
    """Write `tre-<version>-py3-none-any.whl` into `dest_dir` (replacing older ones)."""
    package_dir = Path(tre.__file__).resolve().parent
    version = tre.__version__
    dist_info = f"tre-{version}.dist-info"
    entries: list[tuple[str, bytes]] = [
        ((Path("tre") / path.relative_to(package_dir)).as_posix(), path.read_bytes())
        for path in _package_files(package_dir)
    ]
    entries.append(
        (
            f"{dist_info}/METADATA",
            f"Metadata-Version: 2.1\nName: tre\nVersion: {version}\n".encode(),
        )
    )
    entries.append(
        (
            f"{dist_info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: tre.workspace.wheel\n"
            b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        )
    )
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    record += f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))

    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"tre-{version}-py3-none-any.whl"
    partial = dest_dir / (target.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    for old in dest_dir.glob("tre-*.whl"):
        if old != target:
            old.unlink()
    if target.is_file() and target.read_bytes() == partial.read_bytes():
        partial.unlink()  # unchanged: keep the old file (and its mtime) for the build cache
    else:
        partial.replace(target)
    return target
