"""An ingest gives the same lake with the native HMAC extension as with HMAC in SQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from lakehelp import make_settings, resources, snapshot_tables

from tre import native
from tre.lake.ingest import ingest_fhir
from tre.lake.pseudonymise import person_pseudonym

pytestmark = pytest.mark.native


def test_native_and_sql_hmac_give_the_same_lake(
    tre_home: Path, synthea_bulk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tre_home)
    with_native = ingest_fhir(settings, [synthea_bulk], "same", actor="test-admin")
    monkeypatch.setattr(native, "_available", lambda: (None, "off for this test"))
    in_sql = ingest_fhir(settings, [synthea_bulk], "same", actor="test-admin")
    assert with_native["rows"] == in_sql["rows"] and with_native["rows"] > 1000
    assert snapshot_tables(with_native) == snapshot_tables(in_sql)
    # and the person pseudonyms are the lake's: HMAC(key, source|Patient.id)
    key = settings.read_lake_key()
    patients = [r["id"] for r in resources([synthea_bulk]) if r["resourceType"] == "Patient"]
    expected = sorted(person_pseudonym(key, "same", pid) for pid in patients)
    rows = snapshot_tables(with_native)["patient"]
    column = [c["name"] for c in with_native["tables"]["patient"]["columns"]].index("person_id")
    assert sorted(row[column] for row in rows) == expected
