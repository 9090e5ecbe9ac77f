"""Split a bulk NDJSON file into pieces of bounded size at line boundaries, for DuckDB.

The fast path parses a piece at a time, so its memory depends on the piece size, not on
the file size. Work is per block, never per line. A plain file is cut by seeking near each
boundary and reading only up to the next newline, and a piece reaches DuckDB through a named
pipe that a thread feeds from the input's byte range: the input is not copied to disk (it
holds direct identifiers, and writing it again cost about 5 % of the ingest; only on a file
system without named pipes is the piece copied, and removed after use). A file no larger
than one piece is read in place. A gzip file is decompressed a block at a time into piece
files, the next one on a worker thread while DuckDB parses the current one. The first line
number of a piece is only needed when the piece has a problem (its errors name the line), so
for plain files it is counted lazily, one pass over the bytes before it at most.
"""

from __future__ import annotations

import array
import errno
import fcntl
import gzip
import io
import os
import select
import shutil
import termios
import threading
import time
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_SCAN = 1 << 20  # bytes read at a time when looking for a newline or counting lines
_PIPE_BYTES = 1 << 20  # a larger pipe buffer: fewer switches between feeder and DuckDB
_WAIT_MS = 100  # how often a feeder waiting for room in its pipe looks whether to stop
_DRAIN_WAIT = 0.001  # seconds between looks whether the reader has emptied the pipe


@dataclass
class Feed:
    """What DuckDB reads for one piece: `path`. Once the `Piece.fed()` block has ended,
    `complete` says whether every byte of the piece went through it (a reader that stops
    early without an error must not be taken for one that read the whole piece)."""

    path: Path
    complete: bool = False
    _error: OSError | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)


@dataclass
class Piece:
    """One piece of an NDJSON input: where it sits in the input, and how to read it."""

    start: int  # offset of its first byte in the (decompressed) input
    end: int  # offset just after its last byte
    consumed: int  # on-disk input bytes read so far, for progress
    _first_line: int | None
    _counter: _LineCounter | None = None
    _file: Path | None = None  # a file holding exactly the piece (the input, or a gzip piece)
    _fd: int | None = None  # else: the plain input, read from `start` to `end`
    _pipe: Path | None = None  # where its named pipe goes

    def first_line(self) -> int:
        """1-based line number, in the whole input, of the piece's first line."""
        if self._first_line is None:
            assert self._counter is not None
            self._first_line = self._counter.line_at(self.start)
        return self._first_line

    @contextmanager
    def fed(self) -> Iterator[Feed]:
        """A path DuckDB can read the piece from, valid inside the block. For a byte range
        of a plain input it is a named pipe fed by a thread; the thread ends with the block
        even if the reader stopped early (an error) or never opened it."""
        if self._file is not None:
            yield Feed(self._file, complete=True)
            return
        assert self._fd is not None and self._pipe is not None
        try:
            os.mkfifo(self._pipe, 0o600)
        except OSError:
            # A file system without named pipes (some network mounts): copy the piece.
            with self._copied() as copy:
                yield Feed(copy, complete=True)
            return
        try:
            # A read end of our own: the feeder's open never waits for DuckDB, and closing it
            # after the block breaks the pipe for a feeder whose reader has gone.
            held = os.open(self._pipe, os.O_RDONLY | os.O_NONBLOCK)
            feed = Feed(self._pipe)
            feeder = threading.Thread(
                target=_feed, args=(self._fd, self.start, self.end, feed), name="tre-feed"
            )
            try:
                feeder.start()
                yield feed
            finally:
                feed._stop.set()
                os.close(held)
                feeder.join()
        finally:
            self._pipe.unlink()
        if feed._error is not None:
            raise feed._error

    @contextmanager
    def _copied(self) -> Iterator[Path]:
        """The piece's bytes copied into a file where the pipe would have gone, removed after
        the block (read through `open`: the staging folder may be on another file system)."""
        assert self._pipe is not None
        copy = self._pipe.with_name(self._pipe.name + ".copy")
        try:
            with self.open() as src, copy.open("wb") as dst:
                os.fchmod(dst.fileno(), 0o600)
                shutil.copyfileobj(src, dst, _SCAN)
            yield copy
        finally:
            copy.unlink(missing_ok=True)

    def open(self) -> IO[bytes]:
        """The piece's bytes again (for the batch path, which names lines in errors)."""
        if self._file is not None:
            return self._file.open("rb")
        assert self._fd is not None
        return io.BufferedReader(_Range(self._fd, self.start, self.end), _SCAN)


def _feed(fd: int, start: int, end: int, feed: Feed) -> None:
    """Write bytes `start:end` of `fd` into the named pipe `feed.path` until done or until
    `feed._stop` is set. The kernel moves the pages (splice) without copying them through
    this process where it can. Non-blocking, so that the feeder always ends with its block,
    even if a reader that failed still held the pipe open."""
    try:
        out = os.open(feed.path, os.O_WRONLY | os.O_NONBLOCK)  # our held read end exists
    except OSError as exc:
        # On a busy machine the block may end, and our read end close, before this thread
        # first runs: then there is no reader left to feed, and nothing went wrong.
        if not (exc.errno == errno.ENXIO and feed._stop.is_set()):
            feed._error = exc
        return
    try:
        # Above the system's limit the default buffer works, a little slower.
        with suppress(OSError):
            fcntl.fcntl(out, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        ready = select.poll()
        ready.register(out, select.POLLOUT)
        offset, spliced = start, True
        while offset < end:
            if feed._stop.is_set():
                return
            if not ready.poll(_WAIT_MS):
                continue
            size = min(_SCAN, end - offset)
            try:
                moved = _move(fd, out, size, offset, spliced)
            except BlockingIOError:
                continue
            except OSError as exc:
                if not spliced or exc.errno not in (errno.EINVAL, errno.ENOSYS):
                    raise
                spliced = False  # a file system without splice: copy instead
                continue
            if not moved:
                raise OSError(errno.EIO, "the input file shrank while it was read")
            offset += moved
        # Close only once the reader has taken everything: a reader that opens the pipe
        # after its writer closed would wait for another writer for ever.
        while _unread(out):
            if feed._stop.is_set():
                return
            time.sleep(_DRAIN_WAIT)
        feed.complete = True
    except BrokenPipeError:
        pass  # the reader stopped early; it reports why
    except OSError as exc:
        feed._error = exc
    finally:
        os.close(out)


def _unread(pipe: int) -> int:
    """Bytes in the pipe that no one has read yet."""
    count = array.array("i", [0])
    fcntl.ioctl(pipe, termios.FIONREAD, count)
    return count[0]


def _move(fd: int, out: int, size: int, offset: int, spliced: bool) -> int:
    """Up to `size` bytes of `fd` at `offset` into pipe `out`; how many were moved."""
    if spliced:
        return os.splice(fd, out, size, offset_src=offset, flags=os.SPLICE_F_NONBLOCK)
    # Only what fits: the pipe is non-blocking, and the rest is read again next time.
    return os.write(out, os.pread(fd, min(size, _PIPE_BYTES // 4), offset))


class _Range(io.RawIOBase):
    """Bytes `start:end` of an open file, read with pread (the descriptor is shared)."""

    def __init__(self, fd: int, start: int, end: int) -> None:
        self.fd, self.offset, self.end = fd, start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = os.pread(self.fd, min(len(buffer), self.end - self.offset), self.offset)
        buffer[: len(data)] = data
        self.offset += len(data)
        return len(data)


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


def _plain_pieces(fd: int, size: int, piece_bytes: int, pipe: Path) -> Iterator[Piece]:
    counter = _LineCounter(fd)
    start = 0
    while start < size:
        end = _next_boundary(fd, start + piece_bytes, size)
        yield Piece(start, end, end, None, counter, _fd=fd, _pipe=pipe)
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
                yield Piece(start, start + len(data), raw.tell(), line, _file=target)
            return
        cut = data.rfind(b"\n")
        if cut < 0:  # one line longer than a piece: keep reading
            carry = data
            continue
        target = files.next()
        with target.open("wb") as out:  # a view: no second copy of the block
            out.write(memoryview(data)[: cut + 1])
        yield Piece(start, start + cut + 1, raw.tell(), line, _file=target)
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
    used (decompressing and writing release the GIL)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tre-pieces") as pool:
        ahead = pool.submit(next, made, None)
        while (piece := ahead.result()) is not None:
            ahead = pool.submit(next, made, None)
            yield piece


def pieces(path: Path, piece_bytes: int, workdir: Path) -> Generator[Piece, None, None]:
    """The pieces of NDJSON `path` (plain or `.gz`), in order, each ending at a line end (or
    the file's end) and about `piece_bytes` long (longer only to finish a line). A piece is
    valid until the piece after next is asked for. Files made in `workdir` are removed when
    the generator is closed."""
    gzipped = path.name.lower().endswith(".gz")
    if not gzipped and path.stat().st_size <= piece_bytes:
        size = path.stat().st_size
        yield Piece(0, size, size, 1, _file=path)  # read in place
        return
    with ExitStack() as stack:
        if gzipped:
            files = _Alternating(workdir)
            stack.callback(files.remove)
            raw = stack.enter_context(path.open("rb"))
            stream = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
            yield from _prefetched(_gzip_pieces(raw, stream, piece_bytes, files))
        else:
            fd = os.open(path, os.O_RDONLY)
            stack.callback(os.close, fd)
            yield from _plain_pieces(fd, os.fstat(fd).st_size, piece_bytes, workdir / "piece.pipe")
