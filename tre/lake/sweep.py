"""Defence in depth: no removed direct identifier may appear in any published string column.

The allow-list of columns is the primary control; this sweep checks its result. It joins
every string column of every output table against the identifier strings the ingest removed
(an exact-match semi-join in DuckDB) and reports hits as (table, column) only, never values.
All-digit strings of at most five digits are not tested: they collide with ordinary codes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def sweep(
    con: duckdb.DuckDBPyConnection, tables: dict[str, Path], removed_table: str
) -> list[tuple[str, str]]:
    """(table, column) pairs whose values include a removed identifier string."""
    hits: list[tuple[str, str]] = []
    # Short all-digit strings (a clinician number "140", a postcode "1020") also occur as
    # codes (CVX 140): they are too common to be tested by exact match.
    # The join runs on 64-bit hashes (a small table, however many strings were removed);
    # the rare hash matches are then confirmed on the strings themselves.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sweep_hashes AS SELECT DISTINCT hash(value) AS h "
        f"FROM {removed_table} WHERE NOT regexp_full_match(value, '[0-9]{{1,5}}')"
    )
    for table, path in sorted(tables.items()):
        described = con.execute("DESCRIBE SELECT * FROM read_parquet($1)", [str(path)]).fetchall()
        names = [str(r[0]) for r in described if r[1] == "VARCHAR"]
        if not names:
            continue
        columns = ", ".join('"' + n.replace('"', '""') + '"' for n in names)
        # One scan per table: every string cell as (column, value), semi-joined on hashes.
        cells = (
            f"(SELECT name, value, hash(value) AS h FROM (UNPIVOT (SELECT {columns} "
            "FROM read_parquet($1)) ON COLUMNS(*) INTO NAME name VALUE value))"
        )
        candidates = con.execute(
            f"SELECT DISTINCT name, h FROM {cells} u SEMI JOIN sweep_hashes s ON u.h = s.h",
            [str(path)],
        ).fetchall()
        if not candidates:
            continue
        con.execute("CREATE OR REPLACE TEMP TABLE sweep_candidates (h UBIGINT)")
        con.executemany("INSERT INTO sweep_candidates VALUES (?)", [[h] for _, h in candidates])
        found = con.execute(
            f"SELECT DISTINCT u.name FROM {cells} u "
            "SEMI JOIN sweep_candidates c ON u.h = c.h "
            f"SEMI JOIN {removed_table} r ON u.value = r.value "
            "WHERE NOT regexp_full_match(u.value, '[0-9]{1,5}')",
            [str(path)],
        ).fetchall()
        hit_names = {str(r[0]) for r in found}
        hits.extend((table, n) for n in names if n in hit_names)
    return hits
