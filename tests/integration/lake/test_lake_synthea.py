"""Ingesting the shared Synthea data: nothing identifying survives, joins and linkage work."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from lakehelp import SSN, direct_identifiers, lake_strings, make_settings, resources

from tre.config import Settings
from tre.lake.catalog import load_catalog
from tre.lake.ingest import ingest_fhir
from tre.lake.optout import add_optout, opted_out
from tre.lake.tabular import ingest_table

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "fhir-synthea"
BUNDLES = SHARED / "generated-sample-data-r4"
BULK = SHARED / "sample-bulk-10-patients"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict[str, Any]]]:
    settings = make_settings(tmp_path_factory.mktemp("lake-home"))
    manifest = ingest_fhir(
        settings, [BUNDLES, BULK], "synthea", linkage_system=SSN, actor="test-admin"
    )
    yield settings, manifest


def _table(settings: Settings, manifest: dict[str, Any], table: str) -> str:
    return str(settings.lake_path / "snapshots" / manifest["id"] / f"{table}.parquet")


def test_no_source_identifier_appears_anywhere_in_the_lake(
    lake: tuple[Settings, dict[str, Any]],
) -> None:
    settings, _manifest = lake
    identifiers = direct_identifiers([BUNDLES, BULK])
    assert all(identifiers.values()), "the reference parser found each kind of identifier"
    strings = lake_strings(settings.lake_path)
    blob = "\n".join(strings)
    tokens = set(strings) | set(re.findall(r"[\w'.:/-]+", blob)) | set(re.findall(r"\w+", blob))
    for kind, values in identifiers.items():
        for value in values:
            if len(value) <= 5 and value.isdigit():
                continue  # short numbers (a clinician no. "90") are ordinary codes too
            if " " in value:
                assert value not in blob, f"a {kind} value leaked"
            else:
                assert value not in tokens, f"a {kind} value leaked"


def test_removed_fields_and_kept_columns(lake: tuple[Settings, dict[str, Any]]) -> None:
    settings, manifest = lake
    patient_columns = [c["name"] for c in manifest["tables"]["patient"]["columns"]]
    assert patient_columns == [
        "person_id",
        "gender",
        "birth_year_month",
        "deceased",
        "death_year_month",
        "marital_status_system",
        "marital_status_code",
        "marital_status_display",
        "race_code",
        "race_display",
        "ethnicity_code",
        "ethnicity_display",
        "birth_sex",
        "region",
        "country",
        "language_code",
    ]
    forbidden = re.compile(
        r"name|telecom|phone|address|\bline|^city|postal|identifier|"
        r"text|div|attachment|presented|practitioner|latitude|longitude"
    )
    for table, info in manifest["tables"].items():
        for column in info["columns"]:
            assert not forbidden.search(column["name"]), (table, column["name"])
    con = duckdb.connect()
    regions = {
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT region FROM '{_table(settings, manifest, 'patient')}'"
        ).fetchall()
    }
    assert regions == {"Massachusetts", "KS"}  # region kept, nothing below it
    blob = "\n".join(lake_strings(settings.lake_path))
    assert "Person seed" not in blob and "<div" not in blob  # narrative text.div
    assert "urn:uuid:" not in blob and "Patient/" not in blob  # reference strings
    assert "Dr. " not in blob  # clinicians' names in reference displays
    notes = [
        r["content"][0]["attachment"]["data"]
        for r in resources([BULK])
        if r["resourceType"] == "DocumentReference"
    ]
    assert notes and not any(n[:40] in blob for n in notes)  # base64 attachments


def test_birth_and_death_dates_become_year_month(lake: tuple[Settings, dict[str, Any]]) -> None:
    settings, manifest = lake
    patients = [r for r in resources([BUNDLES, BULK]) if r["resourceType"] == "Patient"]
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT birth_year_month, death_year_month FROM '{_table(settings, manifest, 'patient')}'"
    ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(p["birthDate"][:7] for p in patients)
    assert sorted(r[1] for r in rows if r[1]) == sorted(
        p["deceasedDateTime"][:7] for p in patients if "deceasedDateTime" in p
    )
    blob = "\n".join(lake_strings(settings.lake_path))
    assert not any(p["birthDate"] in blob for p in patients)


def test_every_row_has_a_person_and_joins_work(lake: tuple[Settings, dict[str, Any]]) -> None:
    settings, manifest = lake
    con = duckdb.connect()
    persons = f"'{_table(settings, manifest, 'patient')}'"
    for table, info in manifest["tables"].items():
        path = f"'{_table(settings, manifest, table)}'"
        missing = con.execute(
            f"SELECT count(*) FROM {path} t ANTI JOIN {persons} p USING (person_id)"
        ).fetchone()
        assert missing == (0,), table
        assert info["rows"] > 0
    conditions = _table(settings, manifest, "condition")
    joined = con.execute(
        f"SELECT count(*), count(e.encounter_id) FROM '{conditions}' c "
        f"LEFT JOIN '{_table(settings, manifest, 'encounter')}' e USING (encounter_id)"
    ).fetchone()
    assert joined is not None and joined[0] == joined[1] == manifest["tables"]["condition"]["rows"]
    claims = con.execute(
        f"SELECT count(*) FROM '{_table(settings, manifest, 'explanation_of_benefit')}' x "
        f"JOIN '{_table(settings, manifest, 'claim')}' c USING (claim_id)"
    ).fetchone()
    assert claims == (manifest["tables"]["explanation_of_benefit"]["rows"],)


def test_unmodelled_types_are_counted_not_dropped_silently(
    lake: tuple[Settings, dict[str, Any]],
) -> None:
    _settings, manifest = lake
    assert manifest["unmodelled"]["DocumentReference"] == 1215
    assert manifest["unmodelled"]["Practitioner"] == 39 + 102 + 43
    assert manifest["resources"]["Observation"] == 1737


def test_claims_csv_links_to_fhir_patients_by_ssn(
    lake: tuple[Settings, dict[str, Any]], tmp_path: Path
) -> None:
    settings, manifest = lake
    ssns = [
        next(i["value"] for i in p["identifier"] if i.get("system") == SSN)
        for p in resources([BUNDLES, BULK])
        if p["resourceType"] == "Patient"
    ]
    data = tmp_path / "claims.csv"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ssn", "insured_name", "service_date", "amount", "diagnosis"])
        for n, ssn in enumerate(ssns):
            writer.writerow(
                [ssn, f"Insured Person {n}", f"2020-0{1 + n % 9}-1{n % 10}", 100 + 37 * n, "I10"]
            )
    spec = tmp_path / "claims.yaml"
    spec.write_text(
        "source: claims\nfile: claims.csv\n"
        f"person: {{column: ssn, system: '{SSN}'}}\n"
        "columns:\n  service_date: month\n  amount: {generalise: band, width: 100}\n"
        "  diagnosis: keep\ndrop: [insured_name]\n"
    )
    claims = ingest_table(settings, spec, actor="test-admin")
    con = duckdb.connect()
    claims_path = settings.lake_path / "snapshots" / claims["id"] / "claims.parquet"
    linked = con.execute(
        f"SELECT count(*) FROM '{claims_path}' c JOIN '{_table(settings, manifest, 'patient')}' "
        "p USING (person_id)"
    ).fetchone()
    assert linked == (len(ssns),)
    values = con.execute(f"SELECT * FROM '{claims_path}' ORDER BY amount LIMIT 1").fetchone()
    assert values is not None and re.fullmatch(r"2020-0\d", values[1]) and values[2] == 100.0
    assert claims["tables"]["claims"]["columns"][0]["role"] == "person_id"
    blob = "\n".join(lake_strings(settings.lake_path))
    assert not any(s in blob for s in ssns) and "Insured Person" not in blob
    catalog = load_catalog(settings)
    assert {d.name for d in catalog.datasets} >= {"claims.claims", "synthea.patient"}


def test_optout_stored_only_as_pseudonym(
    lake: tuple[Settings, dict[str, Any]], tmp_path: Path
) -> None:
    base, manifest = lake
    settings = base  # the source's linkage system comes from its latest snapshot
    patient = next(p for p in resources([BULK]) if p["resourceType"] == "Patient")
    ssn = next(i["value"] for i in patient["identifier"] if i.get("system") == SSN)
    entry = add_optout(settings, "synthea", ssn, actor="test-admin")
    assert add_optout(settings, "synthea", ssn, actor="test-admin")["new"] is False
    con = duckdb.connect()
    known = {
        r[0]
        for r in con.execute(
            f"SELECT person_id FROM '{_table(settings, manifest, 'patient')}'"
        ).fetchall()
    }
    assert entry["person_id"] in known and opted_out(settings) == {entry["person_id"]}
    assert load_catalog(settings).opted_out == 1
    for path in settings.home_path.rglob("*"):
        if path.is_file():
            assert ssn.encode() not in path.read_bytes(), path.name


def test_observation_components_keep_blood_pressure_values(
    lake: tuple[Settings, dict[str, Any]],
) -> None:
    settings, manifest = lake
    source_parts = sum(
        len(r.get("component", []))
        for r in resources([BUNDLES, BULK])
        if r["resourceType"] == "Observation"
    )
    con = duckdb.connect()
    components = _table(settings, manifest, "observation_component")
    count, systolic = con.execute(
        f"SELECT count(*), count(*) FILTER (c.code = '8480-6' AND c.value_number > 0) "
        f"FROM '{components}' c JOIN '{_table(settings, manifest, 'observation')}' o "
        "USING (observation_id)"
    ).fetchone() or (0, 0)
    assert count == source_parts > 0 and systolic > 0
