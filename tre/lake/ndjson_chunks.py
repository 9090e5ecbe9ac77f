"""Split a bulk NDJSON file into pieces of bounded size at line boundaries, for DuckDB.

The fast path parses a piece at a time, so its memory depends on the piece size, not on
the file size. Work is per block, never per line: a plain file is cut by seeking near each
boundary and reading only up to the next newline; the piece is copied into the staging
folder by the kernel (`copy_file_range`), and a file no larger than one piece is read in
place. A gzip file is decompressed a block at a time into piece files. The next piece is
copied or decompressed on a worker thread while DuckDB parses the current one. The first line
number of a piece is only needed when the piece has a problem (its errors name the line),
so for plain files it is counted lazily, one pass over the bytes before it at most.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
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


def _plain_pieces(fd: int, size: int, piece_bytes: int, files: _Alternating) -> Iterator[Piece]:
    counter = _LineCounter(fd)
    start = 0
    while start < size:
        end = _next_boundary(fd, start + piece_bytes, size)
        target = files.next()
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _copy_range(fd, out, start, end - start)
        finally:
            os.close(out)
        yield Piece(target, start, end, None, counter)
        start = end


def _gzip_pieces(
    raw: IO[bytes], stream: gzip.GzipFile, piece_bytes: int, files: _Alternating
) -> Iterator[Piece]:
    start, line, carry = 0, 1, b""
    while True:
        block = stream.read(piece_bytes)
        data = carry + block
        if not block:
            if data:
                target = files.next()
                target.write_bytes(data)
                yield Piece(target, start, raw.tell(), line, None)
            return
        cut = data.rfind(b"\n")
        if cut < 0:  # one line longer than a piece: keep reading
            carry = data
            continue
        target = files.next()
        with target.open("wb") as out:  # a view: no second copy of the block
            out.write(memoryview(data)[: cut + 1])
        yield Piece(target, start, raw.tell(), line, None)
        start += cut + 1
        line += data.count(b"\n", 0, cut + 1)
        carry = data[cut + 1 :]


class _Alternating:
    """Two piece files used in turn: one is read while the next piece is written."""

    def __init__(self, workdir: Path) -> None:
        self.paths = (workdir / "piece-0.ndjson", workdir / "piece-1.ndjson")
        self.count = 0

    def next(self) -> Path:
        path = self.paths[self.count % 2]
        self.count += 1
        return path

    def remove(self) -> None:
        for path in self.paths:
            path.unlink(missing_ok=True)


def _prefetched(made: Iterator[Piece]) -> Iterator[Piece]:
    """The pieces of `made`, each produced on a worker thread while the one before it is
    used (copying and decompressing release the GIL)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tre-pieces") as pool:
        ahead = pool.submit(next, made, None)
        while (piece := ahead.result()) is not None:
            ahead = pool.submit(next, made, None)
            yield piece


def pieces(path: Path, piece_bytes: int, workdir: Path) -> Generator[Piece, None, None]:
    """The pieces of NDJSON `path` (plain or `.gz`), in order, each ending at a line end (or
    the file's end) and about `piece_bytes` long (longer only to finish a line). A piece's
    file in `workdir` is valid until the piece after next is asked for; the next piece is
    prepared while one is in use. Piece files are removed when the generator is closed."""
    gzipped = path.name.lower().endswith(".gz")
    if not gzipped and path.stat().st_size <= piece_bytes:
        yield Piece(path, 0, path.stat().st_size, 1, None)  # read in place
        return
    files = _Alternating(workdir)
    with ExitStack() as stack:
        stack.callback(files.remove)
        made: Iterator[Piece]
        if gzipped:
            raw = stack.enter_context(path.open("rb"))
            stream = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
            made = _gzip_pieces(raw, stream, piece_bytes, files)
        else:
            fd = os.open(path, os.O_RDONLY)
            stack.callback(os.close, fd)
            made = _plain_pieces(fd, os.fstat(fd).st_size, piece_bytes, files)
        yield from _prefetched(made)
