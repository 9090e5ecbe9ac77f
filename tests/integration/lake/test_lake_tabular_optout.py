"""Tabular specs (undeclared columns rejected, generalisation) and the opt-out commands."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tre import audit
from tre.cli import main
from tre.config import load_settings
from tre.db import session_scope
from tre.lake.optout import opted_out
from tre.lake.pseudonymise import person_pseudonym
from tre.lake.snapshots import list_snapshots

SPEC = """\
source: registry
file: data.csv
person: {column: nhs_number}
columns:
  admitted: {generalise: month, description: Month of admission}
  born: year
  weight: {generalise: band, width: 10}
  ward: keep
drop: [full_name]
"""


def run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    return int(info.value.code or 0)


@pytest.fixture
def spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert run(["init"]) == 0
    capsys.readouterr()
    (tmp_path / "data.csv").write_text(
        "nhs_number,full_name,admitted,born,weight,ward\n"
        "0001112223,Ada Quux,2021-03-04,1950-06-07,71.5,W1\n"
        "0001112224,Bob Quux,2021-04-05,1960-01-02,88,W2\n"
    )
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def test_table_ingest_generalises_and_drops(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["lake", "ingest", "table", str(spec), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    path = load_settings().lake_path / "snapshots" / out["id"] / "data.parquet"
    rows = duckdb.connect().execute(f"SELECT * FROM '{path}' ORDER BY weight").fetchall()
    key = load_settings().read_lake_key()
    assert rows == [
        (person_pseudonym(key, "registry", "0001112223"), "2021-03", "1950", 70.0, "W1"),
        (person_pseudonym(key, "registry", "0001112224"), "2021-04", "1960", 80.0, "W2"),
    ]
    text = path.read_bytes() + (path.parent / "manifest.json").read_bytes()
    assert b"Quux" not in text and b"0001112223" not in text and b"data.csv" not in text


def test_undeclared_column_is_rejected(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec.write_text(SPEC.replace("drop: [full_name]", "drop: []"))
    assert run(["lake", "ingest", "table", str(spec)]) == 6
    err = capsys.readouterr().err
    assert "not declared in the spec: full_name" in err and "Quux" not in err
    assert list_snapshots(load_settings()) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("ward: keep", "ward: scramble"), "generalise must be one of"),
        (("weight: {generalise: band, width: 10}", "weight: band"), "band needs a positive width"),
        (("person: {column: nhs_number}\n", ""), "missing key 'person'"),
        (("source: registry", "source: [unclosed"), "not valid YAML"),
        (("ward: keep", "ward: keep\n  missing_col: keep"), "missing from the data: missing_col"),
    ],
)
def test_bad_specs(
    spec: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], message: str
) -> None:
    spec.write_text(SPEC.replace(*change))
    assert run(["lake", "ingest", "table", str(spec)]) == 6
    err = capsys.readouterr().err
    assert message in err and str(spec) in err


def test_optout_commands_store_only_the_pseudonym(
    tre_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["init"]) == 0
    capsys.readouterr()
    raw_id = "patient-8f3e2a-raw"
    assert run(["optout", "add", "--source", "ehr", "--id", raw_id, "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    key = load_settings().read_lake_key()
    assert entry["person_id"] == person_pseudonym(key, "ehr", raw_id) and entry["new"]
    assert run(["optout", "add", "--source", "ehr", "--id", raw_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["new"] is False
    assert run(["optout", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["person_id"] for e in listed] == [entry["person_id"]]
    assert opted_out(load_settings()) == {entry["person_id"]}
    for path in tre_home.rglob("*"):
        if path.is_file():
            assert raw_id.encode() not in path.read_bytes(), path.name
    assert run(["optout", "add", "--source", "Bad Name", "--id", raw_id]) != 0
    with session_scope(load_settings()) as session:
        events = [e for e in audit.export(session) if e["action"] == "lake.optout"]
    assert [e["object_id"] for e in events] == [entry["person_id"]]
    assert raw_id not in json.dumps(events)
