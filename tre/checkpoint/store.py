"""The append-only checkpoints file: one JSON object per line, ``{"checkpoint": "<note>"}``.

Writers (the command line, the portal, the hub's services: separate processes) take an
exclusive `flock` on the file, repair a torn last line a crashed writer may have left (it
was never a checkpoint), and append one whole line with a single write. Readers
take no lock: they see whole lines, and ignore a last line without its newline.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHECKPOINT_KEY = "checkpoint"
_TAIL_BLOCK = 4096


def encode_line(note: str) -> str:
    return json.dumps({CHECKPOINT_KEY: note}, ensure_ascii=False, separators=(",", ":")) + "\n"


def decode_line(line: str) -> str:
    """The signed note a line holds; ValueError when the line is not a checkpoint entry."""
    value = json.loads(line)
    if not isinstance(value, dict) or not isinstance(value.get(CHECKPOINT_KEY), str):
        raise ValueError(f'not an object with a "{CHECKPOINT_KEY}" string')
    return str(value[CHECKPOINT_KEY])


def _last_line(fd: int) -> str | None:
    """The last complete line of the open file, read backwards from its end."""
    end = os.lseek(fd, 0, os.SEEK_END)
    buffer = b""
    position = end
    while position > 0:
        step = min(_TAIL_BLOCK, position)
        position -= step
        buffer = os.pread(fd, step, position) + buffer
        complete = buffer[: buffer.rfind(b"\n") + 1]  # drop a torn tail
        start = complete.rfind(b"\n", 0, len(complete) - 1)
        if complete and (start >= 0 or position == 0):
            return complete[start + 1 : -1].decode("utf-8")
    return None


def _complete_length(fd: int, size: int) -> int:
    """Bytes up to and including the last newline."""
    position = size
    while position > 0:
        step = min(_TAIL_BLOCK, position)
        position -= step
        found = os.pread(fd, step, position).rfind(b"\n")
        if found >= 0:
            return position + found + 1
    return 0


class CheckpointFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def last(self) -> str | None:
        """The newest checkpoint's note, or None when there is none (no lock taken)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            line = _last_line(fd)
        finally:
            os.close(fd)
        return None if line is None else decode_line(line)

    @contextmanager
    def locked(self) -> Iterator[LockedFile]:
        """The file, created if needed, held exclusively until the block ends."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield LockedFile(fd)
        finally:
            os.close(fd)  # releases the lock


class LockedFile:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def last(self) -> str | None:
        line = _last_line(self.fd)
        return None if line is None else decode_line(line)

    def append(self, note: str) -> None:
        size = os.lseek(self.fd, 0, os.SEEK_END)
        if size and os.pread(self.fd, 1, size - 1) != b"\n":
            os.ftruncate(self.fd, _complete_length(self.fd, size))  # a crashed writer's line
        # No fsync: a checkpoint lost in a crash names events the database committed (and
        # synced) already, so the next one covers them again; a torn line is repaired above.
        os.write(self.fd, encode_line(note).encode("utf-8"))


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every complete line, for verification."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if raw.endswith(b"\n"):
                yield number, raw.decode("utf-8", errors="replace").rstrip("\n")
