"""A BagIt bag (RFC 8493, version 1.0) written straight into a ZIP archive, as the Five Safes
RO-Crate profile packs a crate: one top-level folder holding `bagit.txt`, `bag-info.txt`, a
SHA-512 payload manifest and a SHA-512 tag manifest, the payload under `data/`.

Written here rather than with the `bagit` package (which the tests use to validate): its
writer changes the process's working directory while it works, which a portal serving
requests on several threads cannot allow.
"""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date
from pathlib import Path, PurePosixPath
from typing import BinaryIO

CHUNK = 1 << 20


def _manifest_path(path: str) -> str:
    """RFC 8493 2.1.3: CR, LF and % in a file name are percent-encoded in manifests."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _safe(relpath: str) -> str:
    parts = PurePosixPath(relpath).parts
    if not parts or relpath.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError("a bag path must be relative and stay inside the bag")
    return "/".join(parts)


class ZipBag:
    """Add payload files, then `close` writes the tag files. Use as a context manager."""

    def __init__(self, fileobj: BinaryIO, top: str) -> None:
        self.top = _safe(top)
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED)
        self.payload: list[tuple[str, str]] = []  # (sha512, data/...)
        self.octets = 0

    def __enter__(self) -> ZipBag:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def add_file(self, relpath: str, source: Path) -> str:
        """Copy `source` to `data/<relpath>`; return its SHA-256 (as read, for checking)."""
        name = f"data/{_safe(relpath)}"
        sha512, sha256 = hashlib.sha512(), hashlib.sha256()
        with source.open("rb") as src, self.zip.open(f"{self.top}/{name}", "w") as dst:
            while chunk := src.read(CHUNK):
                sha512.update(chunk)
                sha256.update(chunk)
                dst.write(chunk)
                self.octets += len(chunk)
        self.payload.append((sha512.hexdigest(), name))
        return sha256.hexdigest()

    def add_bytes(self, relpath: str, data: bytes) -> None:
        name = f"data/{_safe(relpath)}"
        self.zip.writestr(f"{self.top}/{name}", data)
        self.payload.append((hashlib.sha512(data).hexdigest(), name))
        self.octets += len(data)

    def close(self, info: dict[str, str]) -> None:
        """Write the tag files: `info` fields go into bag-info.txt (one line each)."""
        fields = {
            **info,
            "Bagging-Date": date.today().isoformat(),
            "Payload-Oxum": f"{self.octets}.{len(self.payload)}",
        }
        tags = {
            "bagit.txt": "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "bag-info.txt": "".join(
                f"{k}: {' '.join(str(v).split())}\n" for k, v in fields.items()
            ),
            "manifest-sha512.txt": "".join(
                f"{digest}  {_manifest_path(name)}\n" for digest, name in sorted(self.payload)
            ),
        }
        tag_lines = []
        for name, text in tags.items():
            data = text.encode("utf-8")
            self.zip.writestr(f"{self.top}/{name}", data)
            tag_lines.append(f"{hashlib.sha512(data).hexdigest()}  {name}\n")
        self.zip.writestr(f"{self.top}/tagmanifest-sha512.txt", "".join(tag_lines))
        self.zip.close()
