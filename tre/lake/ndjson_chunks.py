"""Split a bulk NDJSON file into pieces of bounded size at line boundaries, for DuckDB.

The fast path parses a piece at a time, so its memory depends on the piece size, not on
the file size. Work is per block, never per line: a plain file is cut by seeking near each
boundary and reading only up to the next newline; the piece is copied into the staging
folder by the kernel (`copy_file_range`), and a file no larger than one piece is read in
place. A gzip file is decompressed a block at a time into piece files. The first line
number of a piece is only needed when the piece has a problem (its errors name the line),
so for plain files it is counted lazily, one pass over the bytes before it at most.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_SCAN = 1 << 20  # bytes read at a time when looking for a newline or counting lines


@dataclass
class Piece:
    """One piece of an NDJSON input: the file DuckDB reads, and where it sits in the input."""

    path: Path
    start: int  # offset of its first byte in the (decompressed) input
    consumed: int  # on-disk input bytes read so far, for progress
    _first_line: int | None
    _counter: _LineCounter | None

    def first_line(self) -> int:
        """1-based line number, in the whole input, of the piece's first line."""
        if self._first_line is None:
            assert self._counter is not None
            self._first_line = self._counter.line_at(self.start)
        return self._first_line


class _LineCounter:
    """Line numbers at increasing offsets of a plain file, counting each byte once."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.offset = 0
        self.line = 1

    def line_at(self, offset: int) -> int:
        while self.offset < offset:
            data = os.pread(self.fd, min(_SCAN, offset - self.offset), self.offset)
            if not data:
                break
            self.line += data.count(b"\n")
            self.offset += len(data)
        return self.line


def _next_boundary(fd: int, offset: int, size: int) -> int:
    """Offset just after the first newline at or after `offset` (or the end of the file)."""
    while offset < size:
        data = os.pread(fd, _SCAN, offset)
        cut = data.find(b"\n")
        if cut >= 0:
            return offset + cut + 1
        offset += len(data)
    return size


def _copy_range(src: int, dst: int, start: int, length: int) -> None:
    offset, left = start, length
    while left > 0:
        try:
            copied = os.copy_file_range(src, dst, left, offset)
        except OSError:  # not supported between these file systems: copy through memory
            copied = os.write(dst, os.pread(src, min(left, 1 << 24), offset))
        if copied == 0:
            raise OSError("input file shrank while it was read")
        offset += copied
        left -= copied


def _plain_pieces(path: Path, piece_bytes: int, workdir: Path) -> Iterator[Piece]:
    size = path.stat().st_size
    if size <= piece_bytes:
        yield Piece(path, 0, size, 1, None)
        return
    piece_path = workdir / "piece.ndjson"
    fd = os.open(path, os.O_RDONLY)
    try:
        counter = _LineCounter(fd)
        start = 0
        while start < size:
            end = _next_boundary(fd, start + piece_bytes, size)
            out = os.open(piece_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                _copy_range(fd, out, start, end - start)
            finally:
                os.close(out)
            yield Piece(piece_path, start, end, None, counter)
            start = end
    finally:
        os.close(fd)
        piece_path.unlink(missing_ok=True)


def _gzip_pieces(path: Path, piece_bytes: int, workdir: Path) -> Iterator[Piece]:
    piece_path = workdir / "piece.ndjson"
    raw: IO[bytes]
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
        try:
            start, line, carry = 0, 1, b""
            while True:
                block = stream.read(piece_bytes)
                data = carry + block
                if not block:
                    if data:
                        piece_path.write_bytes(data)
                        yield Piece(piece_path, start, raw.tell(), line, None)
                    return
                cut = data.rfind(b"\n")
                if cut < 0:  # one line longer than a piece: keep reading
                    carry = data
                    continue
                with piece_path.open("wb") as out:  # a view: no second copy of the block
                    out.write(memoryview(data)[: cut + 1])
                yield Piece(piece_path, start, raw.tell(), line, None)
                start += cut + 1
                line += data.count(b"\n", 0, cut + 1)
                carry = data[cut + 1 :]
        finally:
            piece_path.unlink(missing_ok=True)


def pieces(path: Path, piece_bytes: int, workdir: Path) -> Generator[Piece, None, None]:
    """The pieces of NDJSON `path` (plain or `.gz`), in order, each ending at a line end (or
    the file's end) and about `piece_bytes` long (longer only to finish a line). A piece's
    file in `workdir` is valid until the next piece is asked for, and removed at the end."""
    if path.name.lower().endswith(".gz"):
        yield from _gzip_pieces(path, piece_bytes, workdir)
    else:
        yield from _plain_pieces(path, piece_bytes, workdir)
