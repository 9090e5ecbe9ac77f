"""Input reading: line numbers across blocks, gzip, folder discovery, bad names."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tre.errors import InputError
from tre.lake.fhir_read import discover, read_batches


def test_ndjson_lines_keep_their_numbers_across_small_blocks(tmp_path: Path) -> None:
    lines = [f'{{"resourceType":"Patient","id":"p{i}"}}' for i in range(1, 501)]
    plain = tmp_path / "Patient.ndjson"
    plain.write_text("\n".join(lines))  # no final newline
    packed = tmp_path / "Patient2.ndjson.gz"
    packed.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    for path in (plain, packed):
        rows = []
        for batch, _done in read_batches(discover([path]), batch_bytes=1000):
            rows.extend(
                zip(batch.column("line").to_pylist(), batch.column("doc").to_pylist(), strict=True)
            )
        numbered = {n: d.strip() for n, d in rows if d.strip()}
        assert numbered == {i: lines[i - 1] for i in range(1, 501)}


def test_discover_rejects_unknown_files_and_empty_folders(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="not a FHIR input file"):
        discover([tmp_path / "notes.txt"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="empty input"):
        discover([tmp_path / "empty"])
    with pytest.raises(InputError, match="no such file"):
        discover([tmp_path / "missing.json"])
