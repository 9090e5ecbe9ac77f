"""Defence in depth: no removed direct identifier may appear in any published string column.

The allow-list of columns is the primary control; this sweep checks its result. It compares
every string column of every output table with the identifier strings the ingest removed
(exact match, in DuckDB) and reports hits as (table, column) only, never values. All-digit
strings of at most five digits are not tested: they collide with ordinary codes.

The removed strings are given as a relation of `swept()` rows: each string with its 64-bit
hash and byte length, computed once when it is collected (so the passes below read small
integer columns, not the strings). Memory does not depend on how many strings were removed
(about one per resource, ten million at 90,000 patients): they are only ever streamed,
never held. What is held is the set of distinct values of the output columns, as hashes;
codes and displays come from bounded vocabularies, so that set stays small whatever the
input size.

1. The byte lengths that removed strings have (a few hundred integers).
2. Each string column's shortest and longest value (one query per table). A string can only
   equal a removed one of the same length, so a column none of whose values can have such a
   length is skipped, and only values of such lengths are kept: pseudonym columns hold
   64-character digests, and removed identifiers are almost never that long.
3. The distinct hashes of those values, per column, into one small table.
4. One streamed pass over the removed strings' hashes, joined to that table: the rare
   (column, hash) matches.
5. Each matching column is confirmed on the strings themselves (hash collisions aside).
"""

from __future__ import annotations

import bisect
from pathlib import Path

import duckdb

from tre.sql import identifier

# strlen first: DuckDB evaluates the regular expression only for the few short strings.
_SHORT_DIGITS = "(strlen({v}) <= 5 AND regexp_full_match({v}, '[0-9]{{1,5}}'))"
_LENGTHS = "sweep_lengths"
_CANDIDATES = "sweep_candidates"
_MATCHES = "sweep_matches"


def swept(values: str) -> str:
    """SQL for the rows `sweep` expects (value, h, n) from the query `values` (one VARCHAR
    column): NULLs and short all-digit strings (a clinician number "140" is also a vaccine
    code) are left out."""
    return (
        "SELECT value, hash(value) AS h, strlen(value) AS n "
        f"FROM ({values}) AS s(value) "
        f"WHERE value IS NOT NULL AND NOT {_SHORT_DIGITS.format(v='value')}"
    )


def sweep(
    con: duckdb.DuckDBPyConnection, tables: dict[str, Path], removed: str
) -> list[tuple[str, str]]:
    """(table, column) pairs whose values include a removed string.

    `removed` names a relation of `swept()` rows, computed on this same DuckDB version
    (`hash` is not stable across versions).
    """
    hits: list[tuple[str, str]] = []
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_LENGTHS} AS SELECT DISTINCT n FROM {removed}")
        lengths = sorted(int(n) for (n,) in con.execute(f"SELECT n FROM {_LENGTHS}").fetchall())
        columns = [
            (table, path, name)
            for table, path in sorted(tables.items())
            for name in _columns_to_test(con, path, lengths)
        ]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_CANDIDATES} (col INTEGER, h UBIGINT)")
        for number, (_table, path, name) in enumerate(columns):
            column = identifier(name)
            con.execute(
                f"INSERT INTO {_CANDIDATES} SELECT DISTINCT $2, hash({column}) "
                f"FROM read_parquet($1) WHERE strlen({column}) IN (SELECT n FROM {_LENGTHS})",
                [str(path), number],
            )
        # The small candidate table is the build side; the removed strings stream past it.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_MATCHES} AS SELECT DISTINCT c.col, c.h "
            f"FROM (SELECT h FROM {removed}) r JOIN {_CANDIDATES} c ON r.h = c.h"
        )
        matched = [
            int(c) for (c,) in con.execute(f"SELECT DISTINCT col FROM {_MATCHES}").fetchall()
        ]
        for number in sorted(matched):
            table, path, name = columns[number]
            if _confirmed(con, path, identifier(name), number, removed):
                hits.append((table, name))
    finally:
        for temp in (_LENGTHS, _CANDIDATES, _MATCHES):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
    return hits


def _columns_to_test(con: duckdb.DuckDBPyConnection, path: Path, lengths: list[int]) -> list[str]:
    """The string columns of one file with a value as long as some removed string could be."""
    described = con.execute("DESCRIBE SELECT * FROM read_parquet($1)", [str(path)]).fetchall()
    names = [str(r[0]) for r in described if r[1] == "VARCHAR"]
    if not names or not lengths:
        return []
    ranges = ", ".join(f"min(strlen({identifier(n)})), max(strlen({identifier(n)}))" for n in names)
    row = con.execute(f"SELECT {ranges} FROM read_parquet($1)", [str(path)]).fetchall()[0]
    wanted = []
    for i, name in enumerate(names):
        low, high = row[2 * i], row[2 * i + 1]
        if low is None:  # no values at all
            continue
        first = bisect.bisect_left(lengths, int(low))
        if first < len(lengths) and lengths[first] <= int(high):
            wanted.append(name)
    return wanted


def _confirmed(
    con: duckdb.DuckDBPyConnection, path: Path, column: str, number: int, removed: str
) -> bool:
    """Whether a column whose hashes matched holds a removed string itself."""
    hashes = f"(SELECT h FROM {_MATCHES} WHERE col = {number})"
    found = con.execute(
        f"SELECT 1 FROM read_parquet($1) u WHERE hash(u.{column}) IN {hashes} "
        f"AND u.{column} IN (SELECT value FROM {removed} WHERE h IN {hashes}) "
        "LIMIT 1",
        [str(path)],
    ).fetchall()
    return bool(found)
