"""Project pseudonyms are exactly HMAC-SHA256(project_secret, lake value), row by row.

The builder hashes each distinct lake value once and joins the result back; these tests check
the joined-back values against Python's `hmac` on every row, and the edges of the joins:
identifier values shared between tables, NULL identifiers, NULL persons.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from lakefake import LAKE_KEY, SOURCE, make_lake

from tre import native
from tre.extract.builder import BuildSpec, SourceColumn, SourceDataset, build_extract
from tre.extract.pseudonyms import OPTED_OUT, create_opted_out, hmac_sql, key_parameters
from tre.lake.pseudonymise import hmac_hex, install_hmac, person_pseudonym

SECRET = bytes(range(7, 39))


def _rows(path: Path, columns: str) -> list[tuple[Any, ...]]:
    return duckdb.connect().execute(f"SELECT {columns} FROM '{path}'").fetchall()


@pytest.mark.parametrize("fast", [False, pytest.param(True, marks=pytest.mark.native)])
def test_hmac_sql_equals_the_reference_and_the_lake_macro(fast: bool) -> None:
    con = native.connect() if fast else duckdb.connect()
    install_hmac(con, SECRET)
    messages = ["", "a", "synthea|42", "é|ü", "x" * 200, "0" * 64]
    con.execute("CREATE TABLE m AS SELECT unnest($1::VARCHAR[]) AS v", [messages])
    got = con.execute(
        f"SELECT v, {hmac_sql('v', native_hmac=fast)}, lake_hmac(v) FROM m",
        key_parameters(SECRET, native_hmac=fast),
    ).fetchall()
    for message, ours, lake in got:
        assert ours == lake == hmac_hex(SECRET, message)
    long_key = b"k" * 100  # longer than a block: hashed first, as RFC 2104 says
    value = con.execute(
        "SELECT " + hmac_sql("'m'", native_hmac=fast), key_parameters(long_key, native_hmac=fast)
    ).fetchone()
    assert value == (hmac_hex(long_key, "m"),)


def test_every_identifier_value_is_the_hmac_of_its_lake_value(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake", persons=60)
    grant = {
        "synthea.patient": ["person_id", "region"],
        "synthea.condition": ["id", "person_id", "encounter_id", "code"],
        "synthea.claim": ["id", "person_id"],
    }
    gone = person_pseudonym(LAKE_KEY, SOURCE, "4")
    out = tmp_path / "x"
    spec = BuildSpec("p-1", lake, grant, SECRET, opted_out={gone})
    manifest = build_extract(spec, out).manifest
    paths = {d.name: d.path for d in lake}
    for name, cols in grant.items():
        ids = [c for c in cols if c != "region" and c != "code"]
        lake_rows = [r for r in _rows(paths[name], ", ".join(ids)) if gone not in r]
        expected = sorted(tuple(hmac_hex(SECRET, v) for v in row) for row in lake_rows)
        got = sorted(_rows(out / "data" / f"{name}.parquet", ", ".join(ids)))
        assert got == expected, name
    assert [t["persons"] for t in manifest["tables"]] == [59, 59, 59]
    # The same encounter value maps to the same project value wherever it appears.
    kept = {
        e for pid, e in _rows(paths["synthea.condition"], "person_id, encounter_id") if pid != gone
    }
    distinct = (
        duckdb.connect()
        .execute(f"SELECT count(DISTINCT encounter_id) FROM '{out}/data/synthea.condition.parquet'")
        .fetchone()
    )
    assert distinct == (len(kept),)


def _dataset_with_nulls(root: Path) -> list[SourceDataset]:
    root.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT * FROM (VALUES
              ('p1', 'e1', 1), ('p1', NULL, 2), ('p2', 'e1', 3), (NULL, 'e2', 4), ('p3', 'e3', 5)
            ) v(person_id, encounter_id, n)) TO '{root}/visit.parquet' (FORMAT parquet)"""
    )
    return [
        SourceDataset(
            "src.visit",
            "src",
            "visit",
            "s-1",
            root / "visit.parquet",
            [
                SourceColumn("person_id", "VARCHAR", "", "person_id"),
                SourceColumn("encounter_id", "VARCHAR", "", "pseudonym"),
                SourceColumn("n", "INTEGER"),
            ],
        )
    ]


@pytest.mark.parametrize("opted_out", [set(), {"p3"}])
@pytest.mark.parametrize("columns", [["person_id", "encounter_id", "n"], ["encounter_id", "n"]])
def test_null_identifiers_stay_null_and_rows_without_a_person_are_left_out(
    tmp_path: Path, opted_out: set[str], columns: list[str]
) -> None:
    lake = _dataset_with_nulls(tmp_path / "lake")
    out = tmp_path / "x"
    spec = BuildSpec("p-1", lake, {"src.visit": columns}, SECRET, opted_out=opted_out)
    result = build_extract(spec, out)
    got = sorted(_rows(out / "data" / "src.visit.parquet", "encounter_id, n"), key=lambda r: r[1])
    e1, e3 = hmac_hex(SECRET, "e1"), hmac_hex(SECRET, "e3")
    expected = [(e1, 1), (None, 2), (e1, 3)] + ([] if opted_out else [(e3, 5)])
    assert got == expected
    persons = {"p1", "p2"} | ({"p3"} - opted_out)
    assert set(result.persons.to_pylist()) == persons
    assert result.manifest["persons"] == result.manifest["tables"][0]["persons"] == len(persons)


def test_opted_out_table_holds_each_given_person_once_and_can_be_rebuilt() -> None:
    con = duckdb.connect()
    assert create_opted_out(con, []) == 0
    assert create_opted_out(con, ["a" * 64, "b" * 64, "a" * 64]) == 2
    # Rebuilt on the same connection (a refresh): nothing of the first call stays open.
    assert create_opted_out(con, iter(["c" * 64])) == 1
    assert con.execute(f"SELECT lake_pid FROM {OPTED_OUT}").fetchall() == [("c" * 64,)]
