"""Per-project pseudonyms: the SQL that hashes, and the mapping tables of distinct values.

The project pseudonym of a lake value `v` is `HMAC-SHA256(project_secret, v)` (64 lower-case
hex digits), the same construction and result as `tre.lake.pseudonymise.install_hmac`: the
native `tre_hmac_sha256` where the connection has it (`tre.native`), else in SQL

    sha256(K ^ opad || unhex(sha256(K ^ ipad || utf8(v))))

The key (or the two padded keys) is bound as prepared parameters of the statement that
hashes (never written into SQL text), instead of being read per row from a key table
through scalar subqueries, which DuckDB re-plans as joins.

Lake identifiers repeat (a person has many rows, an encounter several conditions), so
values can be hashed once each and the tables hash-joined to the result:

- `_person_map (lake_pid, project_pid)`: the persons in scope (see `create_person_map`).
  An inner join to it both restricts a table to those persons and re-pseudonymises its
  person column, in one join.
- one `_ids_<n> (lake_value, project_value)` per other identifier column name ("kind", e.g.
  `encounter_id`), from the distinct values of that column across every granted table, so
  the same lake value gets the same project value in every table and is hashed once. Only
  for the SQL form: the native function hashes a value again for less than the join costs,
  so the builder then hashes these columns on each row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import duckdb

from tre import native
from tre.lake.pseudonymise import padded_keys

PERSON_MAP = "_person_map"
PERSON_TABLES = "_person_tables"
OPTED_OUT = "_opted_out"


@dataclass(frozen=True)
class IdColumn:
    """One identifier column of one lake file."""

    path: str  # SQL string literal of the Parquet path
    column: str  # quoted column name
    person_column: str | None = None  # quoted person column of the same file, if any
    where: str = ""  # a condition on the file's rows, if only some are this column's


def hmac_sql(expr: str, *, native_hmac: bool) -> str:
    """SQL for HMAC-SHA256 of the VARCHAR `expr` under the key `key_parameters` binds."""
    if native_hmac:
        return f"{native.FUNCTION}($key, ''::BLOB, {expr})"
    # encode() gives the UTF-8 bytes (a ::BLOB cast would interpret escapes).
    return f"sha256($opad || unhex(sha256($ipad || encode({expr}))))"


def key_parameters(secret: bytes, *, native_hmac: bool) -> dict[str, bytes]:
    """The prepared parameters `hmac_sql` expects."""
    if native_hmac:
        return {"key": secret}
    inner, outer = padded_keys(secret)
    return {"ipad": inner, "opad": outer}


def create_opted_out(con: duckdb.DuckDBPyConnection, lake_pids: Iterable[str]) -> int:
    """Temp table `_opted_out (lake_pid)`; returns how many it holds."""
    # A bound list parameter: registering an Arrow table cost 0.15 s on a first call.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {OPTED_OUT} AS SELECT DISTINCT lake_pid "
        "FROM (SELECT unnest($1::VARCHAR[]) AS lake_pid) WHERE lake_pid IS NOT NULL",
        [list(lake_pids)],
    )
    return _count(con, OPTED_OUT)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()  # leaves no open result
    return int(rows[0][0]) if rows else 0


def create_person_map(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[IdColumn],
    cohort_sql: str | None,
    secret: bytes,
) -> None:
    """Create `_person_tables (lake_pid, src)` and `_person_map (lake_pid, project_pid)`.

    `sources[i]` is the person column of table `i`. Persons in scope: the distinct non-null
    ids of all sources (restricted to `cohort_sql`, a query yielding `lake_pid`, if given),
    minus `_opted_out` (which must exist). `_person_tables` says which tables hold which
    person in scope, so per-table person counts need no second pass over the data.
    """
    if sources:
        union = " UNION ALL ".join(
            f"SELECT {s.column} AS lake_pid, {i} AS src FROM read_parquet({s.path})"
            + (f" WHERE {s.where}" if s.where else "")
            for i, s in enumerate(sources)
        )
    else:
        union = "SELECT NULL::VARCHAR AS lake_pid, 0 AS src WHERE false"
    cohort = f" AND lake_pid IN ({cohort_sql})" if cohort_sql else ""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {PERSON_TABLES} AS "
        f"SELECT lake_pid, src FROM ({union}) AS u "
        f"WHERE lake_pid IS NOT NULL{cohort} "
        f"AND lake_pid NOT IN (SELECT lake_pid FROM {OPTED_OUT}) GROUP BY lake_pid, src"
    )
    fast = native.loaded(con)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {PERSON_MAP} AS "
        f"SELECT lake_pid, {hmac_sql('lake_pid', native_hmac=fast)} AS project_pid "
        f"FROM (SELECT DISTINCT lake_pid FROM {PERSON_TABLES})",
        key_parameters(secret, native_hmac=fast),
    )


def persons_per_table(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """Persons in scope per table index (tables without any are absent)."""
    rows = con.execute(f"SELECT src, count(*) FROM {PERSON_TABLES} GROUP BY src").fetchall()
    return {int(src): int(n) for src, n in rows}


def create_id_maps(
    con: duckdb.DuckDBPyConnection,
    kinds: Mapping[str, Sequence[IdColumn]],
    secret: bytes,
    restrict_to_persons: bool,
) -> dict[str, str]:
    """One mapping table per identifier kind; returns kind -> table name.

    With `restrict_to_persons` (a cohort filter, which may leave out most persons), only
    values on rows of persons in `_person_map` are hashed; otherwise every value is (the few
    extra values of opted-out persons cost less than a join, and are never written).
    """
    tables = {}
    fast = native.loaded(con)
    params = key_parameters(secret, native_hmac=fast)
    for n, (kind, columns) in enumerate(sorted(kinds.items())):
        parts = []
        for c in columns:
            where = f"{c.column} IS NOT NULL"
            if restrict_to_persons and c.person_column:
                where += f" AND {c.person_column} IN (SELECT lake_pid FROM {PERSON_MAP})"
            parts.append(f"SELECT {c.column} AS v FROM read_parquet({c.path}) WHERE {where}")
        table = f"_ids_{n}"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS "
            f"SELECT v AS lake_value, {hmac_sql('v', native_hmac=fast)} AS project_value "
            f"FROM (SELECT DISTINCT v FROM ({' UNION ALL '.join(parts)}))",
            params,
        )
        tables[kind] = table
    return tables
