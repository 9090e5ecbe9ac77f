"""The leak sweep on its own: every string column is checked, whatever its values' lengths."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tre.lake.sweep import sweep, swept

DIGEST = "ab" * 32  # 64 characters, as a pseudonym column holds


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE removed (value VARCHAR)")
    con.execute(
        "INSERT INTO removed VALUES ('Yamada Taro'), ('090-1234-5678'), ('12345'), "
        "('f3c1a9e2-0000-4000-8000-00000000beef')"
    )
    con.execute(f"CREATE VIEW removed_swept AS {swept('SELECT value FROM removed')}")
    return con


def _table(con: duckdb.DuckDBPyConnection, path: Path, rows: list[tuple[object, ...]]) -> Path:
    con.execute("CREATE OR REPLACE TEMP TABLE t (id VARCHAR, display VARCHAR, n INTEGER)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    return path


def test_clean_tables_pass(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = _table(con, tmp_path / "a.parquet", [(DIGEST, "Hypertension", 1), (DIGEST, None, 2)])
    assert sweep(con, {"a": path}, "removed_swept") == []


def test_a_leak_is_reported_by_table_and_column(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows: list[tuple[object, ...]] = [(DIGEST, "Hypertension", 1), (DIGEST, "Yamada Taro", 2)]
    path = _table(con, tmp_path / "a.parquet", rows)
    assert sweep(con, {"a": path}, "removed_swept") == [("a", "display")]


def test_a_leak_into_a_digest_length_column_is_found(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # A removed identifier that happens to be 64 characters long, copied into a column of
    # 64-character pseudonyms: skipping by length must not skip this column.
    con.execute("INSERT INTO removed VALUES (?)", ["cd" * 32])
    path = _table(con, tmp_path / "a.parquet", [(DIGEST, "x", 1), ("cd" * 32, "y", 2)])
    assert sweep(con, {"a": path}, "removed_swept") == [("a", "id")]


def test_a_raw_id_in_a_pseudonym_column_is_found(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows: list[tuple[object, ...]] = [
        (DIGEST, "x", 1),
        ("f3c1a9e2-0000-4000-8000-00000000beef", "y", 2),
    ]
    path = _table(con, tmp_path / "a.parquet", rows)
    assert sweep(con, {"a": path}, "removed_swept") == [("a", "id")]


def test_short_digit_strings_are_not_tested(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = _table(con, tmp_path / "a.parquet", [(DIGEST, "12345", 1)])
    assert sweep(con, {"a": path}, "removed_swept") == []


def test_an_all_null_column_passes(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = _table(con, tmp_path / "a.parquet", [(None, None, 1)])
    assert sweep(con, {"a": path}, "removed_swept") == []


def test_every_leaking_column_of_every_table_is_reported(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # The removed strings come from a Parquet file through a view, as in an ingest.
    con.execute(f"COPY removed_swept TO '{tmp_path / 'removed.parquet'}' (FORMAT parquet)")
    con.execute("DELETE FROM removed")
    con.execute(
        "CREATE VIEW removed_all AS SELECT * FROM removed_swept "
        f"UNION ALL SELECT * FROM read_parquet('{tmp_path / 'removed.parquet'}')"
    )
    clean = _table(con, tmp_path / "a.parquet", [(DIGEST, "Hypertension", 1)])
    leaky = _table(
        con,
        tmp_path / "b.parquet",
        [("090-1234-5678", "x", 1), (DIGEST, "Yamada Taro", 2), (DIGEST, None, 3)],
    )
    found = sweep(con, {"b": leaky, "a": clean}, "removed_all")
    assert found == [("b", "id"), ("b", "display")]
