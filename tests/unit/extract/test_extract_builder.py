"""The extract builder: permitted data only, per-project pseudonyms, opt-outs, cohorts."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
from lakefake import LAKE_KEY, SOURCE, make_lake

from tre.extract.builder import BuildResult, BuildSpec, ExtractError, SourceDataset, build_extract
from tre.extract.filter import CohortFilterError
from tre.lake.pseudonymise import person_pseudonym
from tre.lake.publish import write_persons

GRANT = {
    "synthea.patient": ["person_id", "birth_year_month", "region"],
    "synthea.condition": ["person_id", "encounter_id", "code"],
}


@pytest.fixture
def lake(tmp_path: Path) -> list[SourceDataset]:
    return make_lake(tmp_path / "lake", persons=120)


def _build(lake: list[SourceDataset], out: Path, secret: bytes = b"s" * 32, **kw: object) -> dict:
    spec = BuildSpec(project_id="p-1", datasets=lake, grant=GRANT, secret=secret, **kw)  # type: ignore[arg-type]
    return build_extract(spec, out).manifest


def _catalog(out: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        str(out / "catalog.duckdb"), read_only=True, config={"file_search_path": str(out)}
    )


def test_only_permitted_tables_and_columns(lake: list[SourceDataset], tmp_path: Path) -> None:
    out = tmp_path / "x"
    manifest = _build(lake, out)
    con = _catalog(out)
    views = con.execute(
        "SELECT schema_name || '.' || view_name FROM duckdb_views() "
        "WHERE NOT internal AND schema_name <> 'main'"
    ).fetchall()
    assert sorted(v[0] for v in views) == sorted(GRANT)
    aliases = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main'"
    ).fetchall()
    assert sorted(a[0] for a in aliases) == sorted(n.split(".")[1] for n in GRANT)
    for name, cols in GRANT.items():
        got = [d[0] for d in con.execute(f"SELECT * FROM {name} LIMIT 0").description]
        assert got == cols
        alias = name.split(".")[1]  # the unqualified alias reads the same table
        got = [d[0] for d in con.execute(f"SELECT * FROM {alias} LIMIT 0").description]
        assert got == cols
    files = sorted(p.name for p in (out / "data").iterdir())
    assert files == sorted(f"{n}.parquet" for n in GRANT)
    for name, cols in GRANT.items():
        schema = duckdb.sql(f"DESCRIBE SELECT * FROM '{out}/data/{name}.parquet'").fetchall()
        assert [r[0] for r in schema] == cols
    assert [t["name"] for t in manifest["tables"]] == list(GRANT)
    assert manifest["tables"][0]["persons"] == 120
    assert manifest["tables"][1]["rows"] == 360
    assert json.loads((out / "manifest.json").read_text()) == manifest


def test_comments_from_catalogue(lake: list[SourceDataset], tmp_path: Path) -> None:
    out = tmp_path / "x"
    _build(lake, out)
    con = _catalog(out)
    comment = con.execute(
        "SELECT comment FROM duckdb_views() WHERE view_name = 'patient' AND schema_name <> 'main'"
    ).fetchone()
    assert comment == ("One row per person",)
    cols = dict(
        con.execute(
            "SELECT column_name, comment FROM duckdb_columns() "
            "WHERE table_name = 'condition' AND schema_name <> 'main'"
        ).fetchall()
    )
    assert cols["code"] == "ICD-10 code"


def _no_lake_pseudonym_anywhere(lake: list[SourceDataset], out: Path) -> None:
    con = duckdb.connect()
    parts = [
        f"SELECT {c.name} AS v FROM '{d.path}'"
        for d in lake
        for c in d.columns
        if c.role in ("person_id", "pseudonym")
    ]
    con.execute("CREATE TABLE lake_ids AS " + " UNION ".join(parts))
    assert con.execute("SELECT count(*) FROM lake_ids").fetchone()[0] > 600
    for f in (out / "data").glob("*.parquet"):
        cols = con.execute(f"DESCRIBE SELECT * FROM '{f}'").fetchall()
        for name, type_, *_ in cols:
            if type_ != "VARCHAR":
                continue
            hits = con.execute(
                f"SELECT count(*) FROM '{f}' t SEMI JOIN lake_ids l ON t.{name} = l.v"
            ).fetchone()[0]
            assert hits == 0, f"{f.name}.{name} carries lake pseudonyms"


def test_no_value_equals_a_lake_pseudonym(lake: list[SourceDataset], tmp_path: Path) -> None:
    out = tmp_path / "x"
    _build(lake, out)
    _no_lake_pseudonym_anywhere(lake, out)


def test_two_projects_share_no_identifier(lake: list[SourceDataset], tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _build(lake, a, secret=b"a" * 32)
    _build(lake, b, secret=b"b" * 32)
    con = duckdb.connect()
    for name in GRANT:
        for col in ("person_id", "encounter_id"):
            if col not in GRANT[name]:
                continue
            shared = con.execute(
                f"SELECT count(*) FROM '{a}/data/{name}.parquet' x "
                f"SEMI JOIN '{b}/data/{name}.parquet' y ON x.{col} = y.{col}"
            ).fetchone()[0]
            assert shared == 0
    # ... while within one project the person ids still join across tables.
    joined = con.execute(
        f"SELECT count(*) FROM '{a}/data/synthea.condition.parquet' c "
        f"JOIN '{a}/data/synthea.patient.parquet' p USING (person_id)"
    ).fetchone()[0]
    assert joined == 360


def test_opted_out_persons_are_absent(lake: list[SourceDataset], tmp_path: Path) -> None:
    out = tmp_path / "x"
    gone = {person_pseudonym(LAKE_KEY, SOURCE, str(i)) for i in (0, 5, 7)}
    manifest = _build(lake, out, opted_out=gone)
    assert manifest["persons"] == 117
    spec = BuildSpec("p-1", lake, GRANT, b"s" * 32, opted_out=gone)
    persons = set(build_extract(spec, tmp_path / "y").persons.to_pylist())
    assert len(persons) == 117 and not persons & gone
    con = _catalog(out)
    assert con.execute("SELECT count(*) FROM synthea.condition").fetchone()[0] == 360 - 9
    assert con.execute("SELECT count(*) FROM synthea.patient").fetchone()[0] == 117


def test_person_restriction_applies_when_person_column_not_granted(
    lake: list[SourceDataset], tmp_path: Path
) -> None:
    gone = {person_pseudonym(LAKE_KEY, SOURCE, "1")}
    spec = BuildSpec("p-1", lake, {"synthea.claim": ["total"]}, b"s" * 32, opted_out=gone)
    manifest = build_extract(spec, tmp_path / "x").manifest
    assert manifest["tables"][0]["rows"] == 240 - 2
    assert manifest["tables"][0]["persons"] == 119


def test_cohort_filter_selects_persons_everywhere(
    lake: list[SourceDataset], tmp_path: Path
) -> None:
    out = tmp_path / "x"
    manifest = _build(lake, out, cohort_filter="region = 'north'")
    assert manifest["persons"] == 30
    con = _catalog(out)
    assert con.execute("SELECT DISTINCT region FROM synthea.patient").fetchall() == [("north",)]
    assert con.execute("SELECT count(*) FROM synthea.condition").fetchone()[0] == 90
    orphans = con.execute(
        "SELECT count(*) FROM synthea.condition ANTI JOIN synthea.patient USING (person_id)"
    ).fetchone()[0]
    assert orphans == 0


@pytest.mark.parametrize(
    "bad",
    [
        "1=1; DROP TABLE patient",
        "person_id IN (SELECT person_id FROM patient)",
        "read_csv('/etc/passwd') IS NOT NULL",
        "gender = 'female'",  # exists in the lake but is not granted
        "person_id = 'x'",  # identifier columns are not usable in a filter
    ],
)
def test_malicious_cohort_filter_is_rejected_before_any_write(
    lake: list[SourceDataset], tmp_path: Path, bad: str
) -> None:
    with pytest.raises(CohortFilterError):
        _build(lake, tmp_path / "x", cohort_filter=bad)


def test_grant_of_unknown_dataset_or_column(lake: list[SourceDataset], tmp_path: Path) -> None:
    with pytest.raises(ExtractError, match="does not hold"):
        build_extract(BuildSpec("p-1", lake, {"x.y": ["a"]}, b"s" * 32), tmp_path / "a")
    with pytest.raises(ExtractError, match="lacks"):
        build_extract(
            BuildSpec("p-1", lake, {"synthea.patient": ["postcode"]}, b"s" * 32), tmp_path / "b"
        )


def test_catalog_works_after_the_directory_moves(lake: list[SourceDataset], tmp_path: Path) -> None:
    out = tmp_path / "x"
    _build(lake, out)
    moved = tmp_path / "elsewhere" / "data"
    moved.parent.mkdir()
    shutil.move(out, moved)
    con = _catalog(moved)
    assert con.execute("SELECT count(*) FROM synthea.patient").fetchone()[0] == 120
    assert not list(moved.glob("*.wal"))


def test_secret_is_not_in_the_extract(lake: list[SourceDataset], tmp_path: Path) -> None:
    secret = bytes(range(32))
    out = tmp_path / "x"
    _build(lake, out, secret=secret)
    for f in out.rglob("*"):
        if f.is_file():
            blob = f.read_bytes()
            assert secret not in blob and secret.hex().encode() not in blob


def test_extract_reveals_no_host_path_or_secret(lake: list[SourceDataset], tmp_path: Path) -> None:
    """The catalogue's views are relative, and no file of the extract holds the build
    directory, the lake's snapshot paths or the project secret (a workspace sees all of it)."""
    out = tmp_path / "x"
    secret = bytes(range(32))
    _build(lake, out, secret=secret)
    con = _catalog(out)
    sqls = [
        r[0] for r in con.execute("SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall()
    ]
    con.close()
    assert sqls and all("'/" not in sql and str(tmp_path) not in sql for sql in sqls), sqls
    # Opened from another directory, the views resolve against that directory only.
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)
    shutil.rmtree(out)
    con = _catalog(moved)
    assert con.execute(f"SELECT count(*) FROM {next(iter(GRANT))}").fetchone() == (120,)
    con.close()
    forbidden = [str(tmp_path).encode(), secret, secret.hex().encode(), LAKE_KEY]
    forbidden += [str(d.path).encode() for d in lake]
    for f in moved.rglob("*"):
        if f.is_file():
            content = f.read_bytes()
            leaks = [needle for needle in forbidden if needle in content]
            assert not leaks, f"{f.relative_to(moved)} reveals {leaks}"


def _extract_content(out: Path, result: BuildResult) -> tuple[Any, ...]:
    manifest = result.manifest
    tables = [(t["name"], t["rows"], t["persons"]) for t in manifest["tables"]]
    data = {
        t["name"]: sorted(duckdb.sql(f"SELECT * FROM '{out / t['file']}'").fetchall())
        for t in manifest["tables"]
    }
    return manifest["persons"], tables, sorted(result.persons.to_pylist()), data


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"opted_out": {person_pseudonym(LAKE_KEY, SOURCE, "5")}},
        {"cohort_filter": "region = 'north'"},
    ],
    ids=["all", "opt-out", "cohort"],
)
def test_persons_file_gives_the_same_extract(
    lake: list[SourceDataset], tmp_path: Path, options: dict[str, Any]
) -> None:
    """Persons in scope read from the snapshot's persons file, as ingests now write it, make
    the same extract as persons read from the tables (snapshots from before the file)."""
    grant = {**GRANT, "synthea.claim": ["total"]}  # a table whose person column is not granted
    persons_file = tmp_path / "persons.parquet"
    with duckdb.connect() as con:
        write_persons(con, {d.table: d.path for d in lake}, persons_file)
    with_file = [replace(d, persons_file=persons_file) for d in lake]
    results = []
    for name, datasets in (("scan", lake), ("file", with_file)):
        spec = BuildSpec("p-1", datasets, grant, b"s" * 32, **options)  # type: ignore[arg-type]
        results.append(_extract_content(tmp_path / name, build_extract(spec, tmp_path / name)))
    assert results[0] == results[1]
    assert results[0][0] > 0

    # and the file is what is read: a person missing from it is missing from the extract
    someone = person_pseudonym(LAKE_KEY, SOURCE, "8")  # in every scope above (region north)
    assert someone in results[0][2]
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * FROM '{persons_file}' WHERE person_id <> $1) "
            f"TO '{persons_file}.x' (FORMAT parquet)",
            [someone],
        )
    Path(f"{persons_file}.x").replace(persons_file)
    spec = BuildSpec("p-1", with_file, grant, b"s" * 32, **options)  # type: ignore[arg-type]
    fewer = build_extract(spec, tmp_path / "fewer")
    assert someone not in fewer.persons.to_pylist()
    assert fewer.manifest["persons"] == results[0][0] - 1
