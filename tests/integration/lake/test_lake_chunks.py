"""Bulk NDJSON larger than one piece: the fast path reads it a piece at a time, with the same
result as reading it whole, and errors still name the input's own line numbers."""

from __future__ import annotations

import errno
import gzip
import json
import os
import shutil
import stat
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb
import pytest
from lakehelp import make_settings, snapshot_tables

from tre.errors import InputError
from tre.lake import ndjson_chunks
from tre.lake.ingest import ingest_fhir
from tre.lake.ndjson_chunks import pieces
from tre.lake.snapshots import list_snapshots
from tre.lake.synth import write_demo_data

PIECE = 32 * 1024


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo_data(out, 40, seed=3)
    return out


# A feeding thread that waits for ever fails the test instead of hanging the run.
@pytest.mark.timeout(60, method="thread")
@pytest.mark.parametrize("compressed", [False, True])
def test_pieces_cover_the_file_at_line_ends(tmp_path: Path, demo: Path, compressed: bool) -> None:
    source = demo / "Observation.ndjson"
    data = source.read_bytes()
    assert len(data) > 4 * PIECE
    path = source
    if compressed:
        path = tmp_path / "Observation.ndjson.gz"
        path.write_bytes(gzip.compress(data))
    work = tmp_path / "work"
    work.mkdir()
    bodies = []
    for piece in pieces(path, PIECE, work):
        assert piece.first_line() == data[: piece.start].count(b"\n") + 1
        with piece.fed() as feed:  # what DuckDB reads
            bodies.append(feed.path.read_bytes())
        assert feed.complete
        with piece.open() as again:  # what the batch path reads after a problem
            assert again.read() == bodies[-1]
    assert b"".join(bodies) == data
    longest = max(map(len, data.splitlines(keepends=True)))
    assert all(b.endswith(b"\n") and len(b) < PIECE + longest for b in bodies)
    assert all(len(b) > PIECE - longest for b in bodies[:-1])
    assert list(work.iterdir()) == [], "piece files are removed"


def test_chunked_ingest_equals_whole_file_ingest(tre_home: Path, demo: Path) -> None:
    whole = ingest_fhir(make_settings(tre_home), [demo], "demo")
    chunked = ingest_fhir(make_settings(tre_home, lake_chunk_bytes=PIECE), [demo], "demo")
    assert max(f.stat().st_size for f in demo.iterdir()) > 4 * PIECE
    assert chunked["resources"] == whole["resources"]
    assert chunked["rows"] == whole["rows"] > 0
    assert snapshot_tables(chunked) == snapshot_tables(whole)


@pytest.mark.parametrize("compressed", [False, True])
def test_error_in_a_later_piece_names_the_input_line(
    tre_home: Path, tmp_path: Path, demo: Path, compressed: bool
) -> None:
    lines = (demo / "Condition.ndjson").read_bytes().splitlines(keepends=True)
    bad_line = next(n for n in range(len(lines)) if sum(map(len, lines[:n])) > 2 * PIECE) + 1
    bad = dict(json.loads(lines[bad_line - 1]))
    del bad["subject"]
    lines[bad_line - 1] = json.dumps(bad).encode() + b"\n"
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(demo / "Patient.ndjson", folder)
    path = folder / ("Condition.ndjson.gz" if compressed else "Condition.ndjson")
    body = b"".join(lines)
    path.write_bytes(gzip.compress(body) if compressed else body)
    settings = make_settings(tre_home, lake_chunk_bytes=PIECE)

    with pytest.raises(InputError) as info:
        ingest_fhir(settings, [folder], "demo")
    assert f"{path}: line {bad_line}: missing or unresolvable subject" in str(info.value)
    assert list_snapshots(settings) == []

    manifest = ingest_fhir(settings, [folder], "demo", on_error="skip")
    assert manifest["skipped"]["counts"] == {"no_subject": 1}
    assert manifest["skipped"]["records"][0]["line"] == bad_line
    assert manifest["resources"]["Condition"] == len(lines) - 1
    assert manifest["tables"]["condition"]["rows"] == len(lines) - 1


@pytest.mark.timeout(60, method="thread")
def test_plain_pieces_reach_duckdb_through_a_pipe_not_a_copy(tmp_path: Path, demo: Path) -> None:
    """The input holds direct identifiers: a piece is fed through a named pipe, so no copy
    of it is written into the staging folder."""
    work = tmp_path / "work"
    work.mkdir()
    for piece in pieces(demo / "Observation.ndjson", PIECE, work):
        with piece.fed() as feed:
            assert [p for p in work.iterdir() if not stat.S_ISFIFO(p.stat().st_mode)] == []
            with duckdb.connect() as con:
                rows = con.execute(
                    "SELECT count(*) FROM read_json($1, format = 'newline_delimited')",
                    [str(feed.path)],
                ).fetchall()
        assert feed.complete
        with piece.open() as again:
            assert rows[0][0] == again.read().count(b"\n")
    assert list(work.iterdir()) == []


@pytest.mark.timeout(60, method="thread")
@pytest.mark.parametrize("piece_bytes", [1 << 16, 2 << 20], ids=["fits-the-pipe", "larger"])
@pytest.mark.parametrize("read_bytes", [0, 1000], ids=["never-read", "read-a-little"])
def test_a_feed_the_reader_abandons_ends_with_its_block(
    tmp_path: Path, demo: Path, read_bytes: int, piece_bytes: int
) -> None:
    """A reader that fails before opening the pipe, or midway, must not leave the feeding
    thread waiting (the ingest would hang), nor let the piece pass for read."""
    work = tmp_path / "work"
    work.mkdir()
    big = tmp_path / "Observation.ndjson"
    big.write_bytes((demo / "Observation.ndjson").read_bytes() * 3)
    with closing(pieces(big, piece_bytes, work)) as made:
        piece = next(made)
        assert piece.end - piece.start >= piece_bytes
        with piece.fed() as feed:
            if read_bytes:
                with feed.path.open("rb") as reader:
                    assert len(reader.read(read_bytes)) == read_bytes
        assert not feed.complete
    assert not [t for t in threading.enumerate() if t.name == "tre-feed"]
    assert list(work.iterdir()) == []


def test_a_feeder_that_starts_after_its_block_ended_ends_quietly(tmp_path: Path) -> None:
    """The feeding thread may first run after the block closed the pipe's last read end (a
    busy machine): it must end without an error and without calling the piece read."""
    source = tmp_path / "input.ndjson"
    source.write_bytes(b'{"resourceType": "Patient"}\n' * 100)
    pipe = tmp_path / "piece.pipe"
    os.mkfifo(pipe, 0o600)
    feed = ndjson_chunks.Feed(pipe)
    feed._stop.set()  # the block has ended; no read end is open
    fd = os.open(source, os.O_RDONLY)
    try:
        ndjson_chunks._feed(fd, 0, source.stat().st_size, feed)
    finally:
        os.close(fd)
    assert feed._error is None
    assert not feed.complete


def test_without_named_pipes_pieces_are_copied_and_removed(
    tre_home: Path, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a file system that refuses named pipes the ingest still works, the same."""
    whole = ingest_fhir(make_settings(tre_home), [demo], "demo")

    def refused(path: Any, mode: int = 0o666) -> None:
        raise OSError(errno.EPERM, "Operation not permitted", str(path))

    def cross_device(*args: Any) -> int:  # staging on another file system than the input
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(ndjson_chunks.os, "mkfifo", refused)
    monkeypatch.setattr(ndjson_chunks.os, "copy_file_range", cross_device)
    settings = make_settings(tre_home, lake_chunk_bytes=PIECE)
    chunked = ingest_fhir(settings, [demo], "demo")
    assert chunked["rows"] == whole["rows"] > 0
    assert snapshot_tables(chunked) == snapshot_tables(whole)
    assert not any((settings.lake_path / ".staging").glob("*"))
