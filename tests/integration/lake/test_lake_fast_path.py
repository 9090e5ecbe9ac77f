"""The bulk-export fast path parses only the fields its resource type needs; it must give the
same lake, and collect the same removed identifiers for the sweep, as the batch path, which
parses every field of every resource."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from jphelp import JP_FHIR
from lakehelp import make_settings, snapshot_tables

from tre.lake import fhir
from tre.lake.fhir_fast import expected_type
from tre.lake.ingest import ingest_fhir
from tre.lake.synth import write_demo_data


def _jp_bulk(dst: Path) -> Path:
    """The published Japanese single-resource examples as bulk-export files, one per type
    (re-serialised into the test's folder; the examples stay as they are)."""
    dst.mkdir()
    by_type: dict[str, list[str]] = {}
    for path in sorted((JP_FHIR / "examples").rglob("*.json")):
        resource = json.loads(path.read_text(encoding="utf-8"))
        # Encounter and Specimen examples name no patient: nothing to compare
        if "error-examples" not in path.parts and resource["resourceType"] not in (
            "Encounter",
            "Specimen",
        ):
            by_type.setdefault(resource["resourceType"], []).append(
                json.dumps(resource, ensure_ascii=False)
            )
    for resource_type, lines in by_type.items():
        (dst / f"{resource_type}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dst


def _batch_path_copy(path: Path, dst: Path) -> Path:
    """The same file under a name that announces no resource type: read by the batch path."""
    dst.mkdir()
    shutil.copy(path, dst / "part.ndjson")
    return dst


@pytest.mark.parametrize("data", ["synthea", "demo", "jp"])
def test_fast_path_equals_batch_path(
    tre_home: Path,
    tmp_path: Path,
    synthea_bulk: Path,
    monkeypatch: pytest.MonkeyPatch,
    data: str,
) -> None:
    src = synthea_bulk
    if data == "demo":
        src = tmp_path / "demo"
        write_demo_data(src, 30, seed=5)
    if data == "jp":
        if not JP_FHIR.is_dir():
            pytest.skip(f"no shared data at {JP_FHIR}")
        src = _jp_bulk(tmp_path / "jp")
    removed: list[set[str]] = []
    collect = fhir.removed_rows

    def collecting(con: duckdb.DuckDBPyConnection, fields: Any = None) -> pa.Table:
        rows = collect(con, fields)
        removed[-1].update(rows.column("value").to_pylist())
        return rows

    monkeypatch.setattr(fhir, "removed_rows", collecting)
    settings = make_settings(tre_home)
    files = [p for p in sorted(src.glob("*.ndjson")) if expected_type(p)]  # modelled types
    assert len(files) >= (4 if data == "jp" else 7)
    for path in files:  # one at a time: a string collected twice cannot hide a miss
        manifests = []
        for folder in (path, _batch_path_copy(path, tmp_path / path.stem)):
            removed.append(set())
            manifests.append(ingest_fhir(settings, [folder], "same", actor="test-admin"))
        fast, batch = manifests
        assert fast["resources"] == batch["resources"], path.name
        assert snapshot_tables(fast) == snapshot_tables(batch), path.name
        assert removed[-2] == removed[-1], path.name
    assert len(set().union(*removed)) > 100
