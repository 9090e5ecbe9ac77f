"""Snapshots are immutable and atomic: a killed ingest leaves nothing; a rerun succeeds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tre import audit
from tre.cli import main
from tre.config import load_settings
from tre.db import session_scope
from tre.lake.catalog import load_catalog
from tre.lake.ingest import ingest_fhir
from tre.lake.snapshots import file_sha256, list_snapshots

TRE = str(Path(sys.executable).parent / "tre")


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    return int(info.value.code or 0)


def test_killed_ingest_publishes_nothing_and_rerun_succeeds(
    tre_home: Path, synthea_bulk: Path, synthea_bundles: Path
) -> None:
    assert run(["init"]) == 0
    settings = load_settings()
    staging = settings.lake_path / ".staging"
    # Small batches make the ingest long enough to be caught in the middle.
    env = {**os.environ, "TRE_LAKE_BATCH_BYTES": "65536"}
    proc = subprocess.Popen(
        [
            TRE,
            "lake",
            "ingest",
            "fhir",
            str(synthea_bulk),
            str(synthea_bundles),
            "--source",
            "synthea",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(staging.glob("*/parts/*.parquet")):
            assert proc.poll() is None, "the ingest ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert list_snapshots(settings) == []
    assert load_catalog(settings).datasets == []
    assert not (settings.lake_path / "snapshots").exists() or not any(
        (settings.lake_path / "snapshots").iterdir()
    )
    manifest = ingest_fhir(settings, [synthea_bulk], "synthea", actor="test-admin")
    assert [m["id"] for m in list_snapshots(settings)] == [manifest["id"]]
    assert not any(staging.iterdir()), "the rerun cleared the interrupted staging folder"


def test_each_ingest_is_a_new_immutable_snapshot(
    tre_home: Path, synthea_bulk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["init"]) == 0
    capsys.readouterr()
    patients = synthea_bulk / "Patient.000.ndjson"
    assert run(["lake", "ingest", "fhir", str(patients), "--source", "bulk", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert run(["lake", "ingest", "fhir", str(synthea_bulk), "--source", "bulk", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert first["id"] != second["id"]
    assert run(["lake", "snapshots", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in listed] == [first["id"], second["id"]]
    assert listed[0]["tables"]["patient"]["sha256"] == first["tables"]["patient"]["sha256"]
    settings = load_settings()
    old = settings.lake_path / "snapshots" / first["id"]
    assert sorted(p.name for p in old.iterdir()) == [
        "manifest.json",
        "patient.parquet",
        "persons.parquet",
    ]
    assert all((p.stat().st_mode & 0o222) == 0 for p in old.iterdir())
    # the catalogue shows the latest snapshot of each source
    assert run(["lake", "catalog", "--json"]) == 0
    catalog = json.loads(capsys.readouterr().out)
    names = {d["name"]: d for d in catalog["datasets"]}
    assert {d["snapshot_id"] for d in names.values()} == {second["id"]}
    encounter = names["bulk.encounter"]
    assert encounter["rows"] == 1215 and encounter["persons"] == 13
    assert encounter["description"].startswith("Contacts with care")
    assert encounter["tier"] == "standard" and encounter["coverage"]["min"]
    roles = {c["name"]: c["role"] for c in encounter["columns"]}
    assert roles["person_id"] == "person_id" and roles["encounter_id"] == "pseudonym"
    assert all(c["description"] for c in encounter["columns"])
    assert catalog["opted_out"] == 0
    assert "Device" in second["unmodelled"]
    with session_scope(settings) as session:
        events = [e for e in audit.export(session) if e["action"] == "lake.ingest"]
    assert [e["object_id"] for e in events] == [first["id"], second["id"]]
    assert events[1]["body"]["source"] == "bulk"


def test_persons_file_says_which_persons_each_table_holds(
    tre_home: Path, synthea_bulk: Path
) -> None:
    """Extracts read their persons in scope from `persons.parquet`: it must hold exactly the
    distinct persons of each table, and the snapshot's person count is over all tables."""
    assert run(["init"]) == 0
    settings = load_settings()
    manifest = ingest_fhir(settings, [synthea_bulk], "bulk", actor="test-admin")
    root = settings.lake_path / "snapshots" / manifest["id"]
    persons_file = root / manifest["persons_file"]["file"]
    assert file_sha256(persons_file) == manifest["persons_file"]["sha256"]
    con = duckdb.connect()
    by_table = {
        table: set(
            r[0]
            for r in con.execute(
                'SELECT person_id FROM read_parquet($1) WHERE "table" = $2',
                [str(persons_file), table],
            ).fetchall()
        )
        for table in manifest["tables"]
    }
    for table, info in manifest["tables"].items():
        path = str(root / info["file"])
        described = con.execute("DESCRIBE SELECT * FROM read_parquet($1)", [path]).fetchall()
        columns = [r[0] for r in described]
        if "person_id" not in columns:
            assert by_table[table] == set() and info["persons"] is None
            continue
        held = con.execute(
            "SELECT DISTINCT person_id FROM read_parquet($1) WHERE person_id IS NOT NULL", [path]
        ).fetchall()
        assert by_table[table] == {r[0] for r in held}, table
        assert info["persons"] == len(held)
    assert manifest["persons"] == len(set().union(*by_table.values())) == 13
    assert [d.persons_file for d in load_catalog(settings).datasets] == [persons_file] * len(
        manifest["tables"]
    )


def test_tier_comes_from_source_settings(tre_home: Path, synthea_bulk: Path) -> None:
    assert run(["init"]) == 0
    (tre_home / "tre.toml").write_text(
        '[sources.bulk]\nlinkage_system = "http://hl7.org/fhir/sid/us-ssn"\n'
        '[sources.bulk.tiers]\ncondition = "high"\n'
    )
    settings = load_settings()
    ingest_fhir(
        settings,
        [synthea_bulk / "Patient.000.ndjson", synthea_bulk / "Condition.000.ndjson"],
        "bulk",
        actor="test-admin",
    )
    tiers = {d.table: d.tier for d in load_catalog(settings).datasets}
    assert tiers == {"patient": "standard", "condition": "high"}
    manifest = list_snapshots(settings)[0]
    assert manifest["linkage_system"] == "http://hl7.org/fhir/sid/us-ssn"
