"""Defence in depth: no removed direct identifier may appear in any published string column.

The allow-list of columns is the primary control; this sweep checks its result. It joins
every string column of every output table against the identifier strings the ingest removed
(an exact-match semi-join in DuckDB) and reports hits as (table, column) only, never values.
All-digit strings of at most five digits are not tested: they collide with ordinary codes.

Memory: one column is scanned at a time (a columnar read of one Parquet column), joined on
64-bit hashes; nothing but the hit column names comes back to Python. Scanning all columns
at once (an UNPIVOT of the table) held hundreds of MB per table, growing with its size.

Speed: a string can only equal a removed one of the same byte length. Each column's range
of lengths is read first (cheap: no hashing), and only removed strings in that range are
joined. Pseudonym columns hold 64-character digests only, while removed identifiers are
almost never that long, so their (long, high-cardinality) hash joins are usually skipped.
"""

from __future__ import annotations

import bisect
from pathlib import Path

import duckdb

# strlen first: DuckDB evaluates the regular expression only for the few short strings.
_SHORT_DIGITS = "(strlen({v}) <= 5 AND regexp_full_match({v}, '[0-9]{{1,5}}'))"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sweep(
    con: duckdb.DuckDBPyConnection, tables: dict[str, Path], removed_table: str
) -> list[tuple[str, str]]:
    """(table, column) pairs whose values include a removed identifier string."""
    hits: list[tuple[str, str]] = []
    # Short all-digit strings (a clinician number "140", a postcode "1020") also occur as
    # codes (CVX 140): they are too common to be tested by exact match.
    # The join runs on 64-bit hashes (8 bytes a string, however long the strings are);
    # the rare hash matches are then confirmed on the strings themselves.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sweep_hashes AS "
        "SELECT DISTINCT hash(value) AS h, strlen(value) AS n "
        f"FROM {removed_table} WHERE NOT {_SHORT_DIGITS.format(v='value')}"
    )
    lengths = sorted(
        int(n) for (n,) in con.execute("SELECT DISTINCT n FROM sweep_hashes").fetchall()
    )
    for table, path in sorted(tables.items()):
        described = con.execute("DESCRIBE SELECT * FROM read_parquet($1)", [str(path)]).fetchall()
        for name in (str(r[0]) for r in described if r[1] == "VARCHAR"):
            if _column_hit(con, path, _quoted(name), removed_table, lengths):
                hits.append((table, name))
    con.execute("DROP TABLE IF EXISTS sweep_hashes")
    con.execute("DROP TABLE IF EXISTS sweep_candidates")
    return hits


def _column_hit(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    column: str,
    removed_table: str,
    removed_lengths: list[int],
) -> bool:
    """Whether one column holds a removed string: hashes first, then strings for matches."""
    low, high = con.execute(
        f"SELECT min(strlen({column})), max(strlen({column})) FROM read_parquet($1)", [str(path)]
    ).fetchone() or (None, None)
    if low is None:  # no values at all
        return False
    first = bisect.bisect_left(removed_lengths, low)
    if first == len(removed_lengths) or removed_lengths[first] > high:
        return False  # no removed string is as long as any value here
    # Distinct values first: most string columns (codes, displays) hold few distinct values,
    # so the join builds on them instead of on millions of removed hashes.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sweep_candidates AS SELECT u.h "
        f"FROM (SELECT DISTINCT hash({column}) AS h FROM read_parquet($1) "
        f"      WHERE strlen({column}) BETWEEN $2 AND $3) u "
        "SEMI JOIN (SELECT h FROM sweep_hashes WHERE n BETWEEN $2 AND $3) s ON u.h = s.h",
        [str(path), low, high],
    )
    if not (con.execute("SELECT count(*) FROM sweep_candidates").fetchone() or (0,))[0]:
        return False
    # Only the removed strings with a candidate hash are compared (a small build side).
    found = con.execute(
        f"SELECT 1 FROM (SELECT {column} AS value FROM read_parquet($1)) u "
        "SEMI JOIN sweep_candidates c ON hash(u.value) = c.h "
        f"SEMI JOIN (SELECT value FROM {removed_table} r "
        "  SEMI JOIN sweep_candidates c ON hash(r.value) = c.h) r ON u.value = r.value "
        f"WHERE NOT {_SHORT_DIGITS.format(v='u.value')} LIMIT 1",
        [str(path)],
    ).fetchone()
    return found is not None
