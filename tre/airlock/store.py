"""Content-addressed store for request files: `<root>/<sha256[:2]>/<sha256>`.

Files are written to `<root>/.staging/` (fsync'd), then renamed into place, so a reader
never sees a half-written object; an object, once in place, is never modified (read-only
mode, same content for the same name). Putting the same content twice is a no-op.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from tre.errors import NotFound, TreError
from tre.i18n import _

CHUNK = 1 << 20
_HEX = frozenset("0123456789abcdef")


class StoreCorrupted(TreError):
    """An object's content no longer matches its name (tampering or disk fault)."""


def _valid_digest(digest: str) -> bool:
    return len(digest) == 64 and set(digest) <= _HEX


class ContentStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging = root / ".staging"

    def path(self, digest: str) -> Path:
        if not _valid_digest(digest):
            raise NotFound(_("No stored file with that hash."), hint=_("Check the hash."))
        return self.root / digest[:2] / digest

    def exists(self, digest: str) -> bool:
        return _valid_digest(digest) and self.path(digest).is_file()

    @contextmanager
    def writer(self) -> Iterator[tuple[BinaryIO, Path]]:
        """A temporary file in the staging area; removed if not committed."""
        self.staging.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.staging, prefix="in-")
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh, tmp
        finally:
            tmp.unlink(missing_ok=True)

    def commit(self, tmp: Path, digest: str) -> Path:
        """Move a fully written, fsync'd staging file into place under its hash."""
        target = self.path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            tmp.unlink(missing_ok=True)
            return target
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        return target

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self.writer() as (fh, tmp):
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            self.commit(tmp, digest)
        return digest

    def open(self, digest: str) -> BinaryIO:
        try:
            return self.path(digest).open("rb")
        except FileNotFoundError:
            raise NotFound(_("No stored file with that hash."), hint=_("Check the hash.")) from None

    def verify(self, digest: str) -> None:
        """Re-hash an object; raise StoreCorrupted if it does not match its name."""
        h = hashlib.sha256()
        with self.open(digest) as fh:
            while chunk := fh.read(CHUNK):
                h.update(chunk)
        if h.hexdigest() != digest:
            raise StoreCorrupted(_("A stored file no longer matches its hash."))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
