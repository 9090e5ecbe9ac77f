"""Bulk NDJSON larger than one piece: the fast path reads it a piece at a time, with the same
result as reading it whole, and errors still name the input's own line numbers."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from lakehelp import make_settings

from tre.config import load_settings
from tre.errors import InputError
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


def _sorted_rows(path: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect() as con:
        return con.execute(f"SELECT * FROM read_parquet('{path}') ORDER BY ALL").fetchall()


def _tables(manifest: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    root = load_settings().lake_path / "snapshots" / manifest["id"]
    return {t: _sorted_rows(root / d["file"]) for t, d in manifest["tables"].items()}


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
        bodies.append(piece.path.read_bytes())
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
    assert _tables(chunked) == _tables(whole)


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
