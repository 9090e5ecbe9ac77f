"""Japan's clinical documents (JP-CLINS, eReferral, eCheckup examples) into the lake: every
published example ingests, nothing identifying any of them is in the lake, documents and
their records are tied together, and bad documents are refused naming file and entry."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cli_accounts import admin_in_database, allow_cli
from jphelp import JP_FHIR, example_files, identifying_strings
from lakehelp import lake_strings

from tre.cli import main
from tre.config import load_settings
from tre.lake import fhir
from tre.lake.snapshots import list_snapshots

pytestmark = pytest.mark.skipif(not JP_FHIR.is_dir(), reason=f"no shared data at {JP_FHIR}")
INSURANCE = "http://jpfhir.jp/fhir/clins/Idsystem/JP_Insurance_memberID"
REFERRAL = JP_FHIR / "clins" / "jp-clins" / "Bundle-Bundle-CLINS-Referral-Example-01.json"
CHECKUP = JP_FHIR / "clins" / "echeckup" / "Bundle-Bundle-eCheckupReport-Sample-01.json"


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    return int(info.value.code or 0)


def query(manifest: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    """`sql` over the snapshot's tables, each a view named after it."""
    root = load_settings().lake_path / "snapshots" / manifest["id"]
    con = duckdb.connect()
    for table, described in manifest["tables"].items():
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM '{root / described['file']}'")
    return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("jp-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRE_HOME", str(home))
        allow_cli(home, "test-admin")
        admin_in_database(home)
        assert run(["init"]) == 0
        files = [str(p) for p in example_files()]
        assert run(["lake", "ingest", "fhir", *files, "--source", "jp", "--json"]) == 0
        manifest = list_snapshots(load_settings())[0]
        strings = lake_strings(load_settings().lake_path)
        tables = {
            "documents": query(
                manifest,
                "SELECT type_code, author_prefecture, section_codes, person_id IS NOT NULL "
                "FROM document ORDER BY ALL",
            ),
            "linked": query(
                manifest,
                "SELECT t, count(*), count(person_id), count(document_id) FROM ("
                "SELECT 'condition' t, person_id, document_id FROM condition UNION ALL "
                "SELECT 'encounter', person_id, document_id FROM encounter UNION ALL "
                "SELECT 'observation', person_id, document_id FROM observation) GROUP BY t",
            ),
            "referral": query(
                manifest,
                "SELECT c.code, c.medis_code, e.class_code FROM document d "
                "JOIN condition c USING (document_id) JOIN encounter e USING (document_id) "
                "WHERE d.type_code = '57133-1' AND d.encounter_id = e.encounter_id "
                "ORDER BY ALL",
            ),
            "medications": query(
                manifest,
                "SELECT yj_code, hot_code, generic_code, usage_code, dose_value, duration_days "
                "FROM medication_request ORDER BY ALL",
            ),
            "labs": query(
                manifest,
                "SELECT jlac10_code, lab_item_set, value_number, value_unit FROM observation "
                "WHERE category_code = 'laboratory' ORDER BY ALL",
            ),
            "by_identifier": query(
                manifest,
                "SELECT count(DISTINCT m.person_id), count(*) FROM medication_request m "
                "JOIN patient p USING (person_id)",
            ),
        }
        return {"manifest": manifest, "strings": strings, **tables}


def test_every_example_ingests_without_skipping(ingested: dict[str, Any]) -> None:
    manifest = ingested["manifest"]
    assert manifest["skipped"]["counts"] == {}
    assert {"document", "coverage", "condition", "medication_request"} <= set(manifest["tables"])
    # Standalone Encounter and Specimen examples name no patient: counted, not ingested.
    assert manifest["unlinked"] == {"Encounter": 8, "Specimen": 2}
    assert set(manifest["unmodelled"]) == {
        "CarePlan",
        "DocumentReference",
        "Organization",
        "Practitioner",
    }


def test_documents_keep_type_prefecture_and_sections(ingested: dict[str, Any]) -> None:
    documents = ingested["documents"]
    assert {d[0] for d in documents} == {"57133-1", "56447-6", "53576-5"}
    referral = [d for d in documents if d[0] == "57133-1"]
    # the two referral Bundles are one document (same Composition and document identifier)
    assert all(d[1] == "13" and d[3] for d in referral)
    assert "340,350,360" in referral[0][2] or "340" in referral[0][2].split(",")


def test_records_of_a_document_carry_it_and_its_patient(ingested: dict[str, Any]) -> None:
    counts = {t: (rows, persons, docs) for t, rows, persons, docs in ingested["linked"]}
    for table, (rows, persons, _docs) in counts.items():
        assert rows == persons, table  # every row has a person
    assert counts["encounter"][2] == counts["encounter"][0]  # every kept encounter: a document's
    assert counts["condition"][2] > 0
    referral = ingested["referral"]
    assert ("20065011", "20065011", "AMB") in referral  # 上腹部痛, MEDIS number


def test_jp_core_codes_and_dosage(ingested: dict[str, Any]) -> None:
    medications = ingested["medications"]
    assert ("1141007F3023", "123812902", None) in [m[:3] for m in medications]  # カロナール
    assert any(m[2] == "1124030F2ZZZ" for m in medications)  # 一般名処方
    assert any(m[3] == "1013044400000000" and m[4] == 1.0 for m in medications)
    labs = ingested["labs"]
    assert ("3H015000002326101", "core", 3.5, "mEq/L") in labs  # potassium


def test_a_logical_reference_joins_the_patient_with_that_identifier(
    ingested: dict[str, Any],
) -> None:
    # Prescriptions name their patient only by the insurance identity 00012345:あいう:１８７:05
    persons, rows = ingested["by_identifier"][0]
    assert rows > 10 and persons >= 1


def test_nothing_identifying_any_example_is_in_the_lake(ingested: dict[str, Any]) -> None:
    blob = "\n".join(ingested["strings"])
    cells = set(ingested["strings"])
    leaked = {}
    for path in example_files():
        for kind, values in identifying_strings(path).items():
            for value in values:
                if len(value) < 2 or re.fullmatch(r"[0-9]{1,5}", value):
                    continue  # as the sweep: short numbers are also codes and counts
                # A single family or given name is also a word (健診 太郎 and the
                # document type 検診・健診報告書): it must not be a value; anything else
                # must not be anywhere, inside a value either.
                if value in cells if kind == "name_parts" else value in blob:
                    leaked[f"{path.name}: {kind}"] = value
    assert leaked == {}


def _bad_bundle(tmp_path: Path, change: Any) -> Path:
    """A copy of the referral document with `change` applied (the examples stay as they are)."""
    doc = json.loads(REFERRAL.read_text(encoding="utf-8"))
    change(doc)
    path = tmp_path / "bad-document.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _swap_first_two(doc: dict[str, Any]) -> None:
    doc["entry"][0], doc["entry"][1] = doc["entry"][1], doc["entry"][0]


def _drop_encounter(doc: dict[str, Any]) -> None:
    doc["entry"] = [e for e in doc["entry"] if e["resource"]["resourceType"] != "Encounter"]


def _unknown_type(doc: dict[str, Any]) -> None:
    doc["entry"][4]["resource"]["resourceType"] = "Frobnicator"


@pytest.mark.parametrize(
    ("change", "entry", "problem"),
    [
        (_swap_first_two, 1, "document Bundle whose first entry is not a Composition"),
        (_drop_encounter, 1, "reference to an entry that is not in the Bundle"),
        (_unknown_type, 5, "unknown or missing resourceType"),
    ],
)
def test_a_bad_document_is_refused_naming_file_and_entry(
    tre_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Any,
    entry: int,
    problem: str,
) -> None:
    assert run(["init"]) == 0
    path = _bad_bundle(tmp_path, change)
    assert run(["lake", "ingest", "fhir", str(path), "--source", "jp"]) == 6
    err = capsys.readouterr().err
    assert f"{path}: entry {entry}: {problem}." in err
    assert err.count("\n") == 1, "one line, no traceback"
    for values in identifying_strings(REFERRAL).values():
        assert not any(v in err for v in values if len(v) > 3)
    assert list_snapshots(load_settings()) == []
    # skipped and reported instead
    skip = ["--on-error", "skip", "--json"]
    assert run(["lake", "ingest", "fhir", str(path), "--source", "jp", *skip]) in (0, 6)
    reported = json.loads(capsys.readouterr().out)
    # what was left out is reported, or, when that was everything, the empty input
    assert sum(reported.get("skipped", {}).values()) >= 1 or "error" in reported


def test_the_insurance_identity_links_a_document_and_a_claims_table(
    tre_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["init"]) == 0
    capsys.readouterr()
    link = ["--linkage-system", INSURANCE, "--json"]
    assert run(["lake", "ingest", "fhir", str(REFERRAL), "--source", "hosp-a", *link]) == 0
    fhir = json.loads(capsys.readouterr().out)
    assert run(["lake", "ingest", "fhir", str(CHECKUP), "--source", "hosp-b", *link]) == 0
    checkup = json.loads(capsys.readouterr().out)
    # The claims table spells the referral patient's identity otherwise: half-width digits,
    # a hyphen, a 6-digit form would not apply (8 digits here); the check-up patient's
    # comes from the Coverage and insurer of that document.
    (tmp_path / "claims.csv").write_text(
        "hokensha,kigo,bango,edaban,month,points\n"
        "00012345,あいう,1-87,05,2024-06,1200\n"
        "06123456,１２３４５,67890,1,2024-04,300\n"
        "01234567,か,999,00,2024-05,50\n",
        encoding="utf-8",
    )
    (tmp_path / "claims.yaml").write_text(
        "source: claims\nfile: claims.csv\n"
        f"person: {{columns: [hokensha, kigo, bango, edaban], system: '{INSURANCE}'}}\n"
        "columns: {month: keep, points: keep}\n",
        encoding="utf-8",
    )
    assert run(["lake", "ingest", "table", str(tmp_path / "claims.yaml"), "--json"]) == 0
    claims = json.loads(capsys.readouterr().out)
    snapshots = {m["id"]: m for m in list_snapshots(load_settings())}
    people = {
        source: {row[0] for row in query(snapshots[m["id"]], f"SELECT person_id FROM {table}")}
        for source, m, table in (
            ("referral", fhir, "patient"),
            ("checkup", checkup, "patient"),
            ("claims", claims, "claims"),
        )
    }
    assert len(people["referral"]) == 1 and len(people["checkup"]) == 1
    assert people["referral"] < people["claims"] and people["checkup"] < people["claims"]
    assert len(people["claims"]) == 3


def test_a_name_inside_a_display_fails_the_ingest(
    tre_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A table definition that let a display carry the patient's name, in hiragana and with
    # an honorific: the text sweep must stop the snapshot.
    select = fhir.table_select_sql

    def leaking(table: Any, *, parsed: bool = False) -> str:
        sql = select(table, parsed=parsed)
        if table.table != "condition":
            return sql
        return sql.replace(
            "(r.code.coding[1].display)", "(r.code.coding[1].display || '：まきの　らんまん様')"
        )

    monkeypatch.setattr(fhir, "table_select_sql", leaking)
    assert run(["init"]) == 0
    assert run(["lake", "ingest", "fhir", str(REFERRAL), "--source", "jp"]) == 6
    err = capsys.readouterr().err
    assert "condition.code_display" in err and "nothing was published" in err
    assert "まきの" not in err and "牧野" not in err
    assert list_snapshots(load_settings()) == []


def test_imaging_and_specimen_metadata_without_identifiers(
    tre_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No licensed JP Core example has them: a small collection of our own.
    study_uid = "1.2.392.200036.9116.2.6.1.48.1214245753.1588899919.9999"
    patient = {"resourceType": "Patient", "id": "p-77", "gender": "male"}
    study = {
        "resourceType": "ImagingStudy",
        "id": "is-1",
        "identifier": [{"system": "urn:dicom:uid", "value": f"urn:oid:{study_uid}"}],
        "status": "available",
        "subject": {"reference": "urn:uuid:0f0e0d0c-0000-4000-8000-000000000077"},
        "started": "2024-03-01T09:30:00+09:00",
        "numberOfSeries": 2,
        "numberOfInstances": 120,
        "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}],
        "endpoint": [{"reference": "Endpoint/pacs-7"}],
        "series": [
            {
                "uid": study_uid + ".1",
                "modality": {"code": "CT"},
                "bodySite": {
                    "system": "http://snomed.info/sct",
                    "code": "51185008",
                    "display": "Chest",
                },
            }
        ],
    }
    specimen = {
        "resourceType": "Specimen",
        "id": "sp-1",
        "accessionIdentifier": {"value": "ACC-99812"},
        "subject": {"reference": "urn:uuid:0f0e0d0c-0000-4000-8000-000000000077"},
        "type": {
            "coding": [
                {
                    "system": "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationSampleMaterialCode_CS",
                    "code": "023",
                    "display": "血清",
                }
            ]
        },
        "collection": {"collectedDateTime": "2024-03-01T08:00:00+09:00"},
    }
    entries = [
        {"fullUrl": "urn:uuid:0f0e0d0c-0000-4000-8000-000000000077", "resource": patient},
        {"fullUrl": "urn:uuid:0f0e0d0c-0000-4000-8000-000000000078", "resource": study},
        {"fullUrl": "urn:uuid:0f0e0d0c-0000-4000-8000-000000000079", "resource": specimen},
    ]
    path = tmp_path / "imaging.json"
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    path.write_text(json.dumps(bundle), encoding="utf-8")
    assert run(["init"]) == 0
    assert run(["lake", "ingest", "fhir", str(path), "--source", "img", "--json"]) == 0
    capsys.readouterr()
    manifest = list_snapshots(load_settings())[0]
    assert query(
        manifest,
        "SELECT modality_code, body_site_code, series_count, instance_count FROM imaging_study",
    ) == [("CT", "51185008", 2, 120)]
    assert query(manifest, "SELECT type_code, type_display FROM specimen") == [("023", "血清")]
    blob = "\n".join(lake_strings(load_settings().lake_path))
    assert study_uid not in blob and "pacs-7" not in blob and "ACC-99812" not in blob
