"""FHIR R4 resources to flat, pseudonymised rows: all of it SQL over a batch, in DuckDB.

`prepare(con, source, key)` defines the macros the table definitions use. For each batch:
`load_batch` unnests bundles and classifies every resource (`problem` is NULL for a good one),
`table_rows` selects one table's allow-listed columns, `removed_rows` returns the direct
identifiers the allow-list removed (for the sweep before publishing), and `collect_links`
maps the source-local person pseudonym to the linkage one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

import duckdb
import pyarrow as pa

from tre.lake.fhir_tables import BY_TYPE, PRE_R4_FIELDS, TABLES, FhirTable
from tre.lake.fhir_types import OTHER_VERSION_TYPES, R4_RESOURCE_TYPES
from tre.lake.pseudonymise import install_prefixed_hmac
from tre.lake.sweep import swept
from tre.sql import literal

PROBLEMS = {
    "malformed_json": "malformed JSON",
    "unknown_type": "unknown or missing resourceType",
    "not_r4": "not a FHIR R4 resource",
    "no_subject": "missing or unresolvable subject (patient) reference",
    "empty": "empty input: no resources",
    "no_id": "resource without an id",
}

_REF_PATTERN = r"(?:^|/)([A-Za-z]+)/([^/]+)/_history/[^/]*$"


def prepare(con: duckdb.DuckDBPyConnection, source: str, key: bytes) -> None:
    """Macros and lookup tables for one ingest of `source` (a validated name)."""
    types = sorted(R4_RESOURCE_TYPES)
    install_prefixed_hmac(con, key, {"": f"{source}|", **{t: f"{source}|{t}/" for t in types}})
    src = literal(source)
    con.execute(f"CREATE OR REPLACE TEMP MACRO lake_source() AS {src}")
    con.execute(
        "CREATE OR REPLACE TEMP MACRO ref_id(ref) AS CASE "
        "WHEN starts_with(ref, 'urn:uuid:') THEN nullif(substr(ref, 10), '') "
        "WHEN contains(ref, '?') OR starts_with(ref, '#') OR NOT contains(ref, '/') THEN NULL "
        # split_part is much cheaper than a regular expression; versioned refs need one
        "WHEN NOT contains(ref, '/_history/') THEN nullif(split_part(ref, '/', -1), '') "
        f"ELSE nullif(regexp_extract(ref, '{_REF_PATTERN}', 2), '') END"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO ref_type(ref) AS CASE "
        "WHEN starts_with(ref, 'urn:uuid:') THEN NULL "
        "WHEN NOT contains(ref, '/_history/') THEN nullif(split_part(ref, '/', -2), '') "
        f"ELSE nullif(regexp_extract(ref, '{_REF_PATTERN}', 1), '') END"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO lake_ref(rtype, ref) AS CASE "
        "WHEN ref_id(ref) IS NULL THEN NULL "
        "ELSE lake_hmac_prefixed(rtype, ref_id(ref)) END"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO lake_own(rtype, id) AS "
        "CASE WHEN id IS NOT NULL THEN lake_hmac_prefixed(rtype, id) END"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO lake_person(ref) AS CASE "
        "WHEN ref_id(ref) IS NULL OR coalesce(ref_type(ref), 'Patient') <> 'Patient' THEN NULL "
        "ELSE lake_hmac_prefixed('', ref_id(ref)) END"
    )
    # A FHIR dateTime may be a year or a year-month (which no cast accepts). Most values are
    # full dates or instants: cast first, and only where that fails (coalesce evaluates its
    # next argument for those rows alone) look at the length; a CASE on every row cost a
    # quarter of an Observation's flattening.
    con.execute(
        "CREATE OR REPLACE TEMP MACRO fhir_ts(x) AS coalesce(try_cast(x AS TIMESTAMPTZ), CASE "
        "WHEN length(x) = 4 THEN try_cast(x || '-01-01' AS TIMESTAMPTZ) "
        "WHEN length(x) = 7 THEN try_cast(x || '-01' AS TIMESTAMPTZ) END)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO year_month(x) AS CASE "
        r"WHEN regexp_full_match(x, '\d{4}-\d{2}.*') THEN left(x, 7) "
        r"WHEN regexp_full_match(x, '\d{4}') THEN x ELSE NULL END"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE r4_types (name VARCHAR)")
    con.executemany("INSERT INTO r4_types VALUES (?)", [[n] for n in sorted(R4_RESOURCE_TYPES)])
    con.execute("CREATE OR REPLACE TEMP TABLE other_types (name VARCHAR)")
    con.executemany(
        "INSERT INTO other_types VALUES (?)", [[n] for n in sorted(OTHER_VERSION_TYPES)]
    )


_V = "VARCHAR"
_DISPLAY = {"display": _V}
_DISPLAY_FIELDS = (
    "subject",
    "patient",
    "beneficiary",
    "requester",
    "recorder",
    "asserter",
    "practitioner",
    "serviceProvider",
    "provider",
)
# One structure for every identifying string collected from a resource (one parse each).
REMOVED_STRUCTURE = {
    "id": _V,
    "identifier": [{"value": _V}],
    **dict.fromkeys(_DISPLAY_FIELDS, _DISPLAY),
    "participant": [{"individual": _DISPLAY}],
    "performer": [{"display": _V, "actor": _DISPLAY}],
    "author": [_DISPLAY],
    "location": "JSON",
    "name": [{"given": [_V], "family": _V, "text": _V}],
    "telecom": [{"value": _V}],
    "address": [{"line": [_V], "city": _V, "postalCode": _V, "district": _V, "text": _V}],
    "contact": [{"name": {"given": [_V], "family": _V}, "telecom": [{"value": _V}]}],
    "extension": [
        {"valueString": _V, "valueAddress": {"line": [_V], "city": _V, "postalCode": _V}}
    ],
}
# Resources describing people or places: only these carry names, contacts and addresses.
PEOPLE_TYPES = ("Patient", "Practitioner", "RelatedPerson", "Person", "Organization", "Location")
PEOPLE_FIELDS = ("name", "telecom", "address", "contact", "extension")
_PEOPLE = "(" + ", ".join(literal(t) for t in PEOPLE_TYPES) + ")"
# Of the reference fields above whose display may name a person, those FHIR R4 defines on
# each modelled type. The bulk-export fast path reads only these (reading all of them for
# every Observation cost a sixth of its parse); the batch path reads every one everywhere,
# and a test holds the two to the same removed strings on real exports.
REFERENCE_DISPLAYS_R4 = {
    "Patient": (),
    "Encounter": ("subject", "participant", "serviceProvider", "location"),
    "Condition": ("subject", "recorder", "asserter"),
    "Observation": ("subject", "performer"),
    "MedicationRequest": ("subject", "requester", "recorder", "performer"),
    "Procedure": ("subject", "recorder", "asserter", "performer", "location"),
    "Immunization": ("patient", "performer", "location"),
    "AllergyIntolerance": ("patient", "recorder", "asserter"),
    "DiagnosticReport": ("subject", "performer"),
    "Claim": ("patient", "provider"),
    "ExplanationOfBenefit": ("patient", "provider"),
}


def removed_fields(resource_type: str) -> tuple[str, ...]:
    """The `REMOVED_STRUCTURE` fields a modelled R4 type can hold: what the fast path reads."""
    people = PEOPLE_FIELDS if resource_type in PEOPLE_TYPES else ()
    fields = {"id", "identifier", *REFERENCE_DISPLAYS_R4[resource_type], *people}
    return tuple(f for f in REMOVED_STRUCTURE if f in fields)


def header_structure_json() -> str:
    """What `load_batch` reads from every resource, in one parse: what classifies it, and
    every identifying string the allow-list removes (for the sweep)."""
    fields: dict[str, object] = {**REMOVED_STRUCTURE, "resourceType": "VARCHAR"}
    for field in ("subject", "patient"):
        fields[field] = {"reference": "VARCHAR", "display": "VARCHAR"}
    for names in PRE_R4_FIELDS.values():
        fields.update(dict.fromkeys(names, "JSON"))
    return json.dumps(fields, separators=(",", ":"))


def tables_for(resource_type: str) -> list[FhirTable]:
    """The lake tables built from resources of `resource_type` (in TABLES order)."""
    return [t for t in TABLES if t.resource_type == resource_type]


def problem_sql() -> str:
    """SQL for the problem code of a resource `h` of type `rtype` (NULL when good)."""
    pre_r4 = " OR ".join(
        f"(rtype = '{rtype}' AND (" + " OR ".join(f"h.{f} IS NOT NULL" for f in fields) + "))"
        for rtype, fields in PRE_R4_FIELDS.items()
    )
    by_field: dict[str, list[str]] = {}
    for table in BY_TYPE.values():
        if table.subject_field:
            by_field.setdefault(table.subject_field, []).append(f"'{table.resource_type}'")
    subject = (
        "CASE "
        + " ".join(
            f"WHEN rtype IN ({', '.join(types)}) THEN h.{field}.reference"
            for field, types in by_field.items()
        )
        + " END"
    )
    linked = ", ".join(t for types in by_field.values() for t in types)
    return (
        "CASE WHEN NOT valid THEN 'malformed_json' "
        "WHEN rtype IS NULL OR (rtype NOT IN (SELECT name FROM r4_types) "
        "AND rtype NOT IN (SELECT name FROM other_types)) THEN 'unknown_type' "
        f"WHEN rtype IN (SELECT name FROM other_types) OR {pre_r4} THEN 'not_r4' "
        "WHEN rtype = 'Patient' AND h.id IS NULL THEN 'no_id' "
        f"WHEN rtype IN ({linked}) AND (ref_id({subject}) IS NULL "
        f"OR coalesce(ref_type({subject}), 'Patient') <> 'Patient') THEN 'no_subject' END"
    )


def load_batch(con: duckdb.DuckDBPyConnection, batch: pa.Table) -> None:
    """Create temp table `raw(file_no, line, entry, res, rtype, problem, h)` from a batch.

    Bundles become one row per entry (`entry` its 1-based index); a bundle that is not valid
    JSON or has no entries becomes one problem row; a non-Bundle `.json` is one resource.
    """
    con.register("batch_in", batch)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE raw AS
            WITH docs AS (
                SELECT file_no, line, kind, doc,
                       CASE WHEN kind = 'bundle' THEN coalesce(json_extract_string(
                           CASE WHEN json_valid(doc) THEN doc END, '$.resourceType') = 'Bundle',
                           false) ELSE false END AS is_bundle
                -- blank lines are skipped; trim() is slow on long text, so only short ones
                FROM batch_in
                WHERE length(doc) > 16 OR trim(doc, chr(10) || chr(13) || ' ' || chr(9)) <> ''
            ),
            resources AS (
                SELECT file_no, line, NULL::INTEGER AS entry, doc AS res FROM docs
                WHERE NOT is_bundle
                UNION ALL
                SELECT file_no, line, unnest(range(1, len(entries) + 1))::INTEGER AS entry,
                       unnest(entries)::VARCHAR AS res
                FROM (SELECT file_no, line, json_extract(doc, '$.entry[*].resource') AS entries
                      FROM docs WHERE is_bundle)
            ),
            -- from_json is lenient about shapes: it fails (NULL under try) only on bad JSON
            headed AS (
                SELECT *, try(from_json(res, {literal(header_structure_json())})) AS h
                FROM resources
            ),
            typed AS (
                SELECT *, h IS NOT NULL OR res IS NULL AS valid, h.resourceType AS rtype
                FROM headed
            )
            SELECT file_no, line, entry, res, rtype, {problem_sql()} AS problem, h FROM typed
            UNION ALL
            SELECT file_no, line, NULL, NULL, NULL, 'empty', NULL FROM docs
            WHERE is_bundle AND coalesce(json_array_length(doc, '$.entry'), 0) = 0
            """
        )
    finally:
        con.unregister("batch_in")


def problem_rows(
    con: duckdb.DuckDBPyConnection, limit: int
) -> list[tuple[int, int, int | None, str]]:
    """The first `limit` problems: (file_no, line, entry, problem code), in input order."""
    rows = con.execute(
        "SELECT file_no, line, entry, problem FROM raw WHERE problem IS NOT NULL "
        "ORDER BY file_no, line, entry NULLS FIRST LIMIT ?",
        [limit],
    ).fetchall()
    return [(int(f), int(ln), None if e is None else int(e), str(p)) for f, ln, e, p in rows]


def problem_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute(
        "SELECT problem, count(*) FROM raw WHERE problem IS NOT NULL GROUP BY problem"
    ).fetchall()
    return {str(p): int(n) for p, n in rows}


def type_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Good resources per resourceType in this batch."""
    rows = con.execute(
        "SELECT rtype, count(*) FROM raw WHERE problem IS NULL GROUP BY rtype"
    ).fetchall()
    return {str(t): int(n) for t, n in rows}


def table_select_sql(table: FhirTable, *, parsed: bool = False) -> str:
    """One table's rows from `raw`; `parsed` when `raw.h` already holds the table's fields
    (the NDJSON fast path), else each resource's text is parsed for the table."""
    record = "h" if parsed else f"from_json(res, {literal(table.structure_json)})"
    where = f"problem IS NULL AND rtype = {literal(table.resource_type)}"
    if parsed and table.unnest:  # most resources have no such list: skip them early
        where += f" AND len(h.{table.unnest}) > 0"
    parsed_sql = f"SELECT {record} AS r FROM raw WHERE {where}"
    if table.unnest:
        parsed_sql = f"SELECT r, unnest(r.{table.unnest}) AS c FROM ({parsed_sql})"
    # Person and reference ids repeat across rows (one patient, many observations): each
    # distinct value is parsed and hashed once, then joined back. (A resource's own id
    # repeats only over its list elements: the native HMAC hashes it again for less than
    # such a join costs.)
    joins: list[str] = []
    exprs: list[str] = []
    for c in table.columns:
        memo = _MEMOISED.fullmatch(c.sql) if parsed else None
        if memo is None:
            exprs.append(f"({c.sql})::{c.type} AS {c.name}")
            continue
        func, key = memo.group(1), memo.group(2)
        alias = f"m{len(joins)}"
        keys = f"SELECT DISTINCT {key.replace('r.', 'h.', 1)} AS k FROM raw WHERE {where}"
        joins.append(
            f"LEFT JOIN (SELECT k, {func}k) AS v FROM ({keys})) {alias} ON {key} = {alias}.k"
        )
        exprs.append(f"{alias}.v::{c.type} AS {c.name}")
    columns = ",\n  ".join(exprs)
    return f"SELECT\n  {columns}\nFROM ({parsed_sql}) " + " ".join(joins)


# `lake_person(r.x.reference)` and `lake_ref('Type', r.x.reference)`: (function, key).
_MEMOISED = re.compile(r"(lake_person\(|lake_ref\('[A-Za-z]+', )(r\.[A-Za-z0-9_.\[\]]+)\)")


def table_rows(
    con: duckdb.DuckDBPyConnection, table: FhirTable, *, parsed: bool = False
) -> pa.Table:
    return con.sql(table_select_sql(table, parsed=parsed)).to_arrow_table()


def removed_values_sql(fields: Collection[str] | None = None) -> str:
    """SQL for the direct-identifier strings of the good resources in `raw` other than their
    own ids, one per row (column `value`, NULLs included): one simple select per field,
    unioned. A list per resource built with list_concat and then unnested cost three times
    as much. `fields` are those of `REMOVED_STRUCTURE` that `raw.h` has (default: all, as
    the batch path reads them; the fast path reads `removed_fields` of its type)."""
    have = set(REMOVED_STRUCTURE if fields is None else fields)
    good = "FROM raw WHERE problem IS NULL"
    of_people = f"{good} AND rtype IN {_PEOPLE}"

    def each(items: str, values: str, where: str) -> str:
        """The strings `values` (a list over `x`) of every element `x` of list `items`."""
        return f"SELECT unnest({values}) FROM (SELECT unnest({items}) AS x {where})"

    selects = {
        **{f: f"SELECT h.{f}.display {good} AND h.{f} IS NOT NULL" for f in _DISPLAY_FIELDS},
        "identifier": each("h.identifier", "[x.value]", good),
        "participant": each("h.participant", "[x.individual.display]", good),
        "performer": each("h.performer", "[x.display, x.actor.display]", good),
        "author": each("h.author", "[x.display]", good),
        "location": "SELECT unnest(CASE WHEN json_type(h.location) = 'ARRAY' "
        "THEN json_extract_string(h.location, '$[*].location.display') "
        f"ELSE [json_extract_string(h.location, '$.display')] END) {good} "
        "AND h.location IS NOT NULL",
        "name": each(
            "h.name",
            "list_concat(x.given, [x.family, x.text, "
            "concat_ws(' ', array_to_string(x.given, ' '), x.family)])",
            of_people,
        ),
        "telecom": each("h.telecom", "[x.value]", of_people),
        "address": each(
            "h.address",
            "list_concat(x.line, [x.city, x.postalCode, x.district, x.text])",
            of_people,
        ),
        "contact": each(
            "h.contact",
            "list_concat(x.name.given, [x.name.family], "
            "list_transform(x.telecom, lambda t: t.value))",
            of_people,
        ),
        "extension": each(
            "h.extension",
            "list_concat(x.valueAddress.line, "
            "[x.valueString, x.valueAddress.city, x.valueAddress.postalCode])",
            of_people,
        ),
    }
    return " UNION ALL ".join(sql for field, sql in selects.items() if field in have)


def removed_rows(con: duckdb.DuckDBPyConnection, fields: Collection[str] | None = None) -> pa.Table:
    """The direct-identifier strings of this batch, as the sweep reads them
    (`tre.lake.sweep.swept`: value, hash, length); `fields` as for `removed_values_sql`."""
    values = removed_values_sql(fields)
    distinct = f"SELECT DISTINCT value FROM ({values}) AS r(value) WHERE length(value) >= 2"
    # Own ids are all but unique already: making them distinct cost more than the rest of
    # this query, and a repeat costs the sweep nothing.
    own_ids = "SELECT h.id FROM raw WHERE problem IS NULL AND length(h.id) >= 2"
    return con.sql(f"{swept(own_ids)} UNION ALL {swept(distinct)}").to_arrow_table()


_IDENTIFIERS = literal('{"identifier":[{"system":"VARCHAR","value":"VARCHAR"}]}')


def collect_links(
    con: duckdb.DuckDBPyConnection, system: str, target: str, *, parsed: bool = False
) -> None:
    """Append (local person pseudonym, linkage pseudonym) for patients with that identifier.
    `parsed`: `raw.h` already holds the Patient's `id` and `identifier` (the fast path)."""
    record = "h" if parsed else f"from_json(res, {_IDENTIFIERS})"
    own_id = "h.id" if parsed else "json_extract_string(res, '$.id')"
    con.execute(
        f"""
        INSERT INTO {target}
        SELECT lake_hmac_prefixed('', id), lake_hmac($1 || '|' || value)
        FROM (
            SELECT {own_id} AS id,
                   list_filter({record}.identifier, lambda i: i.system = $1)[1].value AS value
            FROM raw WHERE problem IS NULL AND rtype = 'Patient'
        ) WHERE value IS NOT NULL
        """,
        [system],
    )
