"""Demo data through the real ingest: none of its direct identifiers reaches the lake."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tre.cli import main
from tre.lake.synth import INSURANCE_SYSTEM, write_demo_data
from tre.lake.synth.vocab_clinical import DOSAGE_TEXTS, INSURANCE_PLANS
from tre.lake.synth.vocab_people import PREFECTURES


def cli(*args: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
        raise SystemExit(0)
    assert exit_info.value.code in (0, None), args


def identifiers(patients_file: Path) -> set[str]:
    """Every direct identifier the generator wrote: names, phones, numbers, addresses."""
    found: set[str] = set()
    for line in patients_file.read_text(encoding="utf-8").splitlines():
        patient = json.loads(line)
        for name in patient["name"]:
            found.update([name["text"], name["family"], *name["given"]])
        found.update(t["value"] for t in patient["telecom"])
        for ident in patient["identifier"]:
            found.add(ident["value"])
            if ident["system"] == INSURANCE_SYSTEM:
                found.update(ident["value"].split("-"))  # insurer and insured-person parts
        found.add(patient["id"])
        for address in patient["address"]:
            found.update([address["text"], address["postalCode"], *address["line"]])
    # Keep names that are not part of values the lake keeps on purpose: the family name
    # 千葉 is in the prefecture 千葉県, a one-character given name may be in a plan name.
    kept = [p[1] for p in PREFECTURES] + list(INSURANCE_PLANS) + list(DOSAGE_TEXTS)
    return {n for n in found if len(n) >= 2 and not any(n in k for k in kept)}


def test_no_generated_identifier_survives_in_the_lake(tmp_path: Path, tre_home: Path) -> None:
    data = tmp_path / "bulk"
    write_demo_data(data, 40, seed=21)
    needles = identifiers(data / "Patient.ndjson")
    assert len(needles) > 40 * 8

    cli("init")
    cli("lake", "ingest", "fhir", str(data), "--source", "demo", "--json")
    tables = sorted(tre_home.rglob("*.parquet"))
    assert {p.stem for p in tables} >= {"patient", "encounter", "condition", "claim"}

    con = duckdb.connect()
    con.execute("CREATE TABLE needles (needle VARCHAR)")
    con.executemany("INSERT INTO needles VALUES (?)", [[n] for n in sorted(needles)])
    for table in tables:
        con.execute(
            "CREATE OR REPLACE TABLE hay AS "
            "SELECT to_json(t)::VARCHAR AS row_text FROM read_parquet(?) t",
            [str(table)],
        )
        rows = con.execute("SELECT count(*) FROM hay").fetchone()
        assert rows is not None and rows[0] > 0, table.name
        hits = con.execute(
            "SELECT count(*) FROM hay, needles WHERE contains(row_text, needle)"
        ).fetchone()
        assert hits == (0,), f"direct identifiers survive in {table.name}"
    # The sweep above can fail: the same search does find what the source holds.
    con.execute(
        "CREATE OR REPLACE TABLE hay AS SELECT content AS row_text FROM read_text(?)",
        [str(data / "Patient.ndjson")],
    )
    source_hits = con.execute(
        "SELECT count(DISTINCT needle) FROM hay, needles WHERE contains(row_text, needle)"
    ).fetchone()
    assert source_hits == (len(needles),)


def document_identifiers(bundles_file: Path) -> set[str]:
    """What the JP-CLINS demo documents identify people by: patients' and doctors' names,
    MRNs, insurance identities, phones, addresses, the Coverages' insured-person numbers."""
    found: set[str] = set()
    for line in bundles_file.read_text(encoding="utf-8").splitlines():
        for entry in json.loads(line)["entry"]:
            resource = entry["resource"]
            for name in (
                resource.get("name", []) if resource["resourceType"] != "Organization" else []
            ):
                found.update([name["text"], name["family"] + name["given"][0]])
            found.update(t["value"] for t in resource.get("telecom", []))
            if resource["resourceType"] == "Patient":
                found.update(i["value"] for i in resource["identifier"])
                for address in resource["address"]:
                    found.update([address["text"], address["postalCode"]])
            for ext in resource.get("extension", []):
                if "InsuredPerson" in ext["url"]:
                    found.add(ext["valueString"])
            if resource.get("subscriberId"):
                found.add(resource["subscriberId"])
    return {n for n in found if len(n) >= 3}


def test_no_identifier_of_the_jp_clins_documents_survives(tmp_path: Path, tre_home: Path) -> None:
    data = tmp_path / "documents"
    summary = write_demo_data(data, 30, seed=7, data_format="jp-clins")
    assert summary.files.keys() == {"Bundle.ndjson"} and summary.entries > 30 * 10
    needles = document_identifiers(data / "Bundle.ndjson")
    assert len(needles) > 30 * 6
    cli("init")
    linkage = "http://jpfhir.jp/fhir/clins/Idsystem/JP_Insurance_memberID"
    cli("lake", "ingest", "fhir", str(data), "--source", "demo", "--linkage-system", linkage)
    tables = sorted(tre_home.rglob("*.parquet"))
    assert {p.stem for p in tables} >= {"document", "coverage", "condition", "observation"}
    con = duckdb.connect()
    con.execute("CREATE TABLE needles (needle VARCHAR)")
    con.executemany("INSERT INTO needles VALUES (?)", [[n] for n in sorted(needles)])
    for table in tables:
        hits = con.execute(
            "SELECT count(*) FROM (SELECT to_json(t)::VARCHAR AS row_text FROM read_parquet(?) t)"
            ", needles WHERE contains(row_text, needle)",
            [str(table)],
        ).fetchone()
        assert hits == (0,), f"direct identifiers survive in {table.name}"
    persons = con.execute(
        f"SELECT count(*) FROM read_parquet('{next(p for p in tables if p.stem == 'patient')}')"
    ).fetchone()
    assert persons == (30,)  # each patient's documents linked by the insurance identity
