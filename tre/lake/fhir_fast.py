"""Fast path for bulk-export NDJSON: one DuckDB `read_json` per file, fixed schema, one parse.

Bulk export writes one resource type per file (`Observation.ndjson`, `Observation.000.ndjson`).
For such a file DuckDB reads and parses the whole file once with an explicit `columns` schema
(no sniffing), in parallel, into a temp table `raw_fast` whose row struct `h` holds both the
fields the classification needs, the identifiers the sweep needs and the table's own fields.
The same checks as the batch path run over it; if the file has any problem at all (bad JSON,
a type mismatch, another resource type, a record the batch path would reject, no rows) the
caller re-reads it through the batch path, which names file and line and honours
`--on-error skip`. So this path only ever accepts files that the batch path accepts whole.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import duckdb

from tre.lake import fhir
from tre.lake.fhir_tables import BY_TYPE, PRE_R4_FIELDS
from tre.sql import literal

_SCALARS = {"VARCHAR", "JSON", "BOOLEAN", "DOUBLE", "BIGINT"}


def expected_type(path: Path) -> str | None:
    """The resource type a bulk-export file name announces, if the lake models it."""
    stem = path.name.split(".")[0]
    # A Coverage's insurance identity may need its payor Organization: the batch path.
    return stem if stem in BY_TYPE and stem != "Coverage" else None


def _merge(a: Any, b: Any) -> Any:
    """Union of two from_json structures (a field's type must agree where both have it)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = _merge(a[key], value) if key in a else value
        return out
    if isinstance(a, list) and isinstance(b, list):
        return [_merge(a[0], b[0])]
    if a == b:
        return a
    if "JSON" in (a, b):  # a JSON field reads anything; keep the richer shape's raw text
        return "JSON"
    raise ValueError(f"conflicting structure: {a!r} / {b!r}")


def _sql_type(structure: Any) -> str:
    if isinstance(structure, dict):
        fields = ", ".join(f'"{k}" {_sql_type(v)}' for k, v in structure.items())
        return f"STRUCT({fields})"
    if isinstance(structure, list):
        return f"{_sql_type(structure[0])}[]"
    if structure not in _SCALARS:
        raise ValueError(f"unknown type {structure!r}")
    return str(structure)


def structure_for(resource_type: str) -> dict[str, Any]:
    """What the fast path reads from each resource of `resource_type`: what classifies it,
    the identifiers the sweep needs, and the fields of its tables."""
    # Only the identifying fields R4 defines on this type: names, contacts and addresses on
    # people and places, reference displays where the type has that reference.
    wanted = fhir.removed_fields(resource_type)
    removed = {k: copy.deepcopy(v) for k, v in fhir.REMOVED_STRUCTURE.items() if k in wanted}
    merged: dict[str, Any] = {
        **removed,
        "resourceType": "VARCHAR",
        **dict.fromkeys(PRE_R4_FIELDS.get(resource_type, ()), "JSON"),
    }
    for table in fhir.tables_for(resource_type):
        merged = _merge(merged, table.structure)
    return merged


def _bad_sql(resource_type: str) -> str:
    """True for a record the batch path would reject (or another type): a narrower form of
    `fhir.problem_sql` for files known to hold one modelled R4 type."""
    rtype = literal(resource_type)
    checks = [f"h.resourceType IS DISTINCT FROM {rtype}"]
    checks += [f"h.{f} IS NOT NULL" for f in PRE_R4_FIELDS.get(resource_type, ())]
    field = BY_TYPE[resource_type].subject_field
    if field is None:
        checks.append("h.id IS NULL")
    else:
        ref = f"h.{field}.reference"
        checks.append(f"ref_id({ref}) IS NULL")
        checks.append(f"coalesce(ref_type({ref}), 'Patient') <> 'Patient'")
    return " OR ".join(f"({c})" for c in checks)


def _columns_literal(structure: dict[str, Any]) -> str:
    """A DuckDB struct literal for read_json's `columns` (names and types as strings)."""
    items = ", ".join(f"{literal(k)}: {literal(_sql_type(v))}" for k, v in structure.items())
    return "{" + items + "}"


def load_file(con: duckdb.DuckDBPyConnection, path: Path, resource_type: str) -> int | None:
    """Parse `path` into temp table `raw(rtype, problem, h)`, like `fhir.load_batch`'s. No
    Bundles, no documents: every resource is known by its id and has its own patient
    reference, which the table queries read from `h` (`fhir.table_select_sql`, `parsed`);
    copying them into columns of `raw` cost a tenth of the ingest in CPU and memory.

    Returns the number of resources, or None when the file needs the batch path (any problem).
    """
    columns = _columns_literal(structure_for(resource_type))
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE raw AS
            SELECT h.resourceType AS rtype,
                   CASE WHEN {_bad_sql(resource_type)} THEN 'bad' END AS problem, h
            FROM read_json($1, format = 'newline_delimited', records = true,
                           columns = {columns}) h
            """,
            [str(path)],
        )
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error:
        return None  # bad JSON or a field of an unexpected shape: the batch path says where
    ((total, bad),) = con.execute("SELECT count(*), count(problem) FROM raw").fetchall()
    if total == 0 or bad:
        con.execute("DROP TABLE raw")
        return None
    return int(total)
