"""FHIR R4 resources to flat, pseudonymised rows: all of it SQL over a batch, in DuckDB.

`prepare(con, source, key, linkage)` defines the macros the table definitions use. For each
batch: `load_batch` unnests bundles (in `.json` files or as NDJSON lines), resolves each
resource's patient and document and classifies it (`problem` is NULL for a good one,
`linked` false for one whose optional patient is absent), `table_rows` selects one table's
allow-listed columns, `removed_rows` and `removed_text_rows` return the direct identifiers
the allow-list removed (for the sweeps before publishing), and `collect_links` maps the
source-local person pseudonym to the linkage one and records the patients' identifiers
that logical references can name.

In a Bundle, an entry whose fullUrl is a `urn:uuid:` is known by that uuid (references to it
use it; its resource id is only local to the document that carries it), any other by its
id. Every `urn:uuid:` reference in a Bundle must name one of its entries. A document Bundle
starts with its Composition: every other entry is tagged with the document, and a resource
without a patient of its own takes the document's. A patient named only by an identifier
(`subject.identifier`, a FHIR logical reference) is kept as the conditional reference
`Patient?identifier=system|value` and pseudonymised by that identifier (tre.lake.linkage).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

import duckdb
import pyarrow as pa

from tre.lake.fhir_tables import BY_TYPE, MANDATORY_SUBJECT, PRE_R4_FIELDS, TABLES, FhirTable
from tre.lake.fhir_types import OTHER_VERSION_TYPES, R4_RESOURCE_TYPES
from tre.lake.linkage import INSURANCE_MEMBER_SYSTEM, install_linkage_macros
from tre.lake.pseudonymise import install_prefixed_hmac
from tre.lake.sweep import swept
from tre.lake.sweep_text import fold_removed, removed_text_sql
from tre.sql import literal

PROBLEMS = {
    "malformed_json": "malformed JSON",
    "unknown_type": "unknown or missing resourceType",
    "not_r4": "not a FHIR R4 resource",
    "no_subject": "missing or unresolvable subject (patient) reference",
    "empty": "empty input: no resources",
    "no_id": "resource without an id",
    "no_composition": "document Bundle whose first entry is not a Composition",
    "dangling_reference": "reference to an entry that is not in the Bundle",
}
LOGICAL = "Patient?identifier="

_REF_PATTERN = r"(?:^|/)([A-Za-z]+)/([^/]+)/_history/[^/]*$"


def prepare(
    con: duckdb.DuckDBPyConnection, source: str, key: bytes, linkage: str | None = None
) -> None:
    """Macros and lookup tables for one ingest of `source` (a validated name) whose persons
    link to other sources by identifier system `linkage`, if any."""
    types = sorted(R4_RESOURCE_TYPES)
    install_prefixed_hmac(con, key, {"": f"{source}|", **{t: f"{source}|{t}/" for t in types}})
    install_linkage_macros(con, source, linkage)
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
    # A logical reference `Patient?identifier=system|value`: the system ends at the first '|'.
    n = len(LOGICAL) + 1
    con.execute(
        "CREATE OR REPLACE TEMP MACRO lake_person(ref) AS CASE "
        f"WHEN starts_with(ref, '{LOGICAL}') THEN person_key("
        f"split_part(substr(ref, {n}), '|', 1), "
        f"substr(ref, {n} + strlen(split_part(substr(ref, {n}), '|', 1)) + 1)) "
        "WHEN ref_id(ref) IS NULL OR coalesce(ref_type(ref), 'Patient') <> 'Patient' THEN NULL "
        "ELSE lake_hmac_prefixed('', ref_id(ref)) END"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO patient_ref(ref) AS "
        f"starts_with(ref, '{LOGICAL}') OR (ref_id(ref) IS NOT NULL "
        "AND coalesce(ref_type(ref), 'Patient') = 'Patient')"
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
# A reference's display names a person, and its logical identifier is one.
_DISPLAY = {"display": _V, "identifier": {"value": _V}}
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
    "performer": [{"display": _V, "identifier": {"value": _V}, "actor": _DISPLAY}],
    "author": [_DISPLAY],
    "location": "JSON",
    "name": [{"given": [_V], "family": _V, "text": _V}],
    "telecom": [{"value": _V}],
    "address": [{"line": [_V], "city": _V, "postalCode": _V, "district": _V, "text": _V}],
    "contact": [{"name": {"given": [_V], "family": _V}, "telecom": [{"value": _V}]}],
    "extension": [
        {"valueString": _V, "valueAddress": {"line": [_V], "city": _V, "postalCode": _V}}
    ],
    # Insured-person numbers of a Coverage, beside its identifier and extensions, and a
    # Specimen's accession number.
    "subscriberId": _V,
    "dependent": _V,
    "accessionIdentifier": {"value": _V},
    # People cited by a resource are often carried inside it.
    "contained": [
        {
            "id": _V,
            "identifier": [{"value": _V}],
            "name": [{"given": [_V], "family": _V, "text": _V}],
            "telecom": [{"value": _V}],
            "address": [{"line": [_V], "city": _V, "postalCode": _V, "text": _V}],
        }
    ],
}
# Resources describing people or places: only these carry names, contacts and addresses.
PEOPLE_TYPES = ("Patient", "Practitioner", "RelatedPerson", "Person", "Organization", "Location")
PEOPLE_FIELDS = ("name", "telecom", "address", "contact", "extension")
# Identifiers some types hold besides `identifier`: Coverage the insured person's 記号, 番号
# and 枝番 (JP Core extensions, subscriberId, dependent), Specimen its accession number.
OWN_IDENTIFIER_FIELDS = {
    "Coverage": ("subscriberId", "dependent", "extension"),
    "Specimen": ("accessionIdentifier",),
}
EXTENSION_TYPES = (*PEOPLE_TYPES, "Coverage")
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
    "Composition": ("subject", "author"),
    "Coverage": ("beneficiary",),
    "Specimen": ("subject",),
    "ImagingStudy": ("subject",),
}


def removed_fields(resource_type: str) -> tuple[str, ...]:
    """The `REMOVED_STRUCTURE` fields a modelled R4 type can hold: what the fast path reads."""
    people = PEOPLE_FIELDS if resource_type in PEOPLE_TYPES else ()
    fields = {"id", "identifier", "contained", *REFERENCE_DISPLAYS_R4[resource_type], *people}
    fields.update(OWN_IDENTIFIER_FIELDS.get(resource_type, ()))
    return tuple(f for f in REMOVED_STRUCTURE if f in fields)


def header_structure_json() -> str:
    """What `load_batch` reads from every resource, in one parse: what classifies it, and
    every identifying string the allow-list removes (for the sweep)."""
    fields: dict[str, object] = {**REMOVED_STRUCTURE, "resourceType": "VARCHAR"}
    for field in SUBJECT_FIELDS:
        fields[field] = {**_DISPLAY, "reference": _V, "identifier": {"system": _V, "value": _V}}
    for names in PRE_R4_FIELDS.values():
        fields.update(dict.fromkeys(names, "JSON"))
    return json.dumps(fields, separators=(",", ":"))


def tables_for(resource_type: str) -> list[FhirTable]:
    """The lake tables built from resources of `resource_type` (in TABLES order)."""
    return [t for t in TABLES if t.resource_type == resource_type]


SUBJECT_FIELDS = ("subject", "patient", "beneficiary")


def _by_subject_field(expression: str) -> str:
    """SQL: `expression` (with `{f}` for the field) of each resource's patient field, by type."""
    by_field: dict[str, list[str]] = {}
    for table in BY_TYPE.values():
        if table.subject_field:
            by_field.setdefault(table.subject_field, []).append(literal(table.resource_type))
    return (
        "CASE "
        + " ".join(
            f"WHEN h.resourceType IN ({', '.join(types)}) THEN {expression.format(f=field)}"
            for field, types in by_field.items()
        )
        + " END"
    )


def own_subject_sql() -> str:
    """SQL for a resource `h`'s own patient reference: its reference, else its logical
    identifier as `Patient?identifier=system|value`."""
    reference = _by_subject_field("h.{f}.reference")
    logical = _by_subject_field(
        f"'{LOGICAL}' || h.{{f}}.identifier.system || '|' || h.{{f}}.identifier.value"
    )
    return f"coalesce({reference}, {logical})"


def problem_sql() -> str:
    """SQL for the problem code of a resource `h` of type `rtype` (NULL when good), given
    `subject_ref` (its patient, its own or its document's), `doc_ok` (NULL outside a
    document, else whether the document starts with a Composition) and `dangling`."""
    pre_r4 = " OR ".join(
        f"(rtype = '{rtype}' AND (" + " OR ".join(f"h.{f} IS NOT NULL" for f in fields) + "))"
        for rtype, fields in PRE_R4_FIELDS.items()
    )
    linked = ", ".join(literal(t.resource_type) for t in BY_TYPE.values() if t.subject_field)
    mandatory = ", ".join(literal(t) for t in sorted(MANDATORY_SUBJECT))
    return (
        "CASE WHEN NOT valid THEN 'malformed_json' "
        "WHEN rtype IS NULL OR (rtype NOT IN (SELECT name FROM r4_types) "
        "AND rtype NOT IN (SELECT name FROM other_types)) THEN 'unknown_type' "
        f"WHEN rtype IN (SELECT name FROM other_types) OR {pre_r4} THEN 'not_r4' "
        "WHEN rtype = 'Patient' AND rid IS NULL THEN 'no_id' "
        "WHEN NOT doc_ok THEN 'no_composition' "
        "WHEN dangling THEN 'dangling_reference' "
        f"WHEN rtype IN ({linked}) AND subject_ref IS NOT NULL "
        "AND NOT patient_ref(subject_ref) THEN 'no_subject' "
        f"WHEN rtype IN ({mandatory}) AND subject_ref IS NULL THEN 'no_subject' END"
    )


def linked_sql() -> str:
    """SQL: whether a good resource belongs to a person (a Patient, or a modelled type with a
    patient); one whose optional patient is absent is counted, not ingested."""
    linked = ", ".join(literal(t.resource_type) for t in BY_TYPE.values() if t.subject_field)
    return f"(rtype = 'Patient' OR (rtype IN ({linked}) AND subject_ref IS NOT NULL))"


def load_batch(con: duckdb.DuckDBPyConnection, batch: pa.Table) -> None:
    """Create temp table `raw(file_no, line, entry, res, rtype, problem, h, rid, subject_ref,
    doc_key, doc_author_prefecture, linked)` from a batch.

    Bundles (a `.json` file, or an NDJSON line holding one) become one row per entry (`entry`
    its 1-based index); a bundle that is not valid JSON or has no entries becomes one problem
    row; any other document is one resource.
    """
    con.register("batch_in", batch)
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE raw AS
            WITH docs AS (
                SELECT file_no, line, kind, doc,
                       CASE WHEN kind = 'bundle' OR contains(doc, '"Bundle"') THEN
                           coalesce(json_extract_string(CASE WHEN json_valid(doc) THEN doc END,
                           '$.resourceType') = 'Bundle', false) ELSE false END AS is_bundle
                -- blank lines are skipped; trim() is slow on long text, so only short ones
                FROM batch_in
                WHERE length(doc) > 16 OR trim(doc, chr(10) || chr(13) || ' ' || chr(9)) <> ''
            ),
            bundles AS (
                SELECT file_no, line, json_extract_string(doc, '$.type') AS bundle_type,
                       concat_ws('|', json_extract_string(doc, '$.identifier.system'),
                                 json_extract_string(doc, '$.identifier.value')) AS bundle_key,
                       from_json(json_extract(doc, '$.entry'),
                                 '[{{"fullUrl":"VARCHAR","resource":"JSON"}}]') AS entries
                FROM docs WHERE is_bundle
            ),
            resources AS (
                SELECT file_no, line, NULL::INTEGER AS entry, doc AS res,
                       NULL::VARCHAR AS full_url, NULL::VARCHAR AS bundle_type,
                       NULL::VARCHAR AS bundle_key
                FROM docs WHERE NOT is_bundle
                UNION ALL
                SELECT file_no, line, unnest(range(1, len(entries) + 1))::INTEGER,
                       unnest(list_transform(entries, lambda e: e.resource))::VARCHAR,
                       unnest(list_transform(entries, lambda e: e.fullUrl)), bundle_type,
                       bundle_key
                FROM bundles
            ),
            -- from_json is lenient about shapes: it fails (NULL under try) only on bad JSON
            headed AS (
                SELECT *, try(from_json(res, {literal(header_structure_json())})) AS h
                FROM resources
            ),
            typed AS MATERIALIZED (
                SELECT *, h IS NOT NULL OR res IS NULL AS valid, h.resourceType AS rtype,
                       CASE WHEN starts_with(full_url, 'urn:uuid:')
                            THEN nullif(substr(full_url, 10), '') ELSE h.id END AS rid,
                       {own_subject_sql()} AS own_subject
                FROM headed
            ),
            documents AS MATERIALIZED (
                SELECT file_no, line,
                       coalesce(bool_or(entry = 1 AND rtype = 'Composition'), false) AS doc_ok,
                       -- the Composition and the Bundle's document identifier, together: some
                       -- senders reuse one of them across documents
                       max(CASE WHEN entry = 1 AND rtype = 'Composition'
                           THEN rid || '|' || bundle_key END) AS doc_key,
                       max(CASE WHEN entry = 1 AND rtype = 'Composition' THEN own_subject END)
                           AS doc_subject,
                       max(CASE WHEN entry = 1 AND rtype = 'Composition' THEN res END) AS doc_res
                FROM typed WHERE bundle_type = 'document' GROUP BY file_no, line
            ),
            urls AS (
                SELECT DISTINCT file_no, line, full_url FROM typed
                WHERE entry IS NOT NULL AND full_url IS NOT NULL
            ),
            uuid_refs AS (
                SELECT file_no, line, entry, unnest(list_filter(
                    json_extract_string(res, '$..reference'),
                    lambda x: starts_with(x, 'urn:uuid:'))) AS ref
                FROM typed WHERE entry IS NOT NULL AND valid AND contains(res, '"urn:uuid:')
            ),
            dangling AS (
                SELECT DISTINCT r.file_no, r.line, r.entry FROM uuid_refs r
                ANTI JOIN urls u ON r.file_no = u.file_no AND r.line = u.line
                    AND r.ref = u.full_url
            ),
            {_author_prefecture_ctes()},
            placed AS (
                SELECT t.*, coalesce(t.own_subject, d.doc_subject) AS subject_ref,
                       d.doc_key, coalesce(d.doc_ok, true) AS doc_ok,
                       g.entry IS NOT NULL AS dangling, p.prefecture AS doc_author_prefecture
                FROM typed t
                LEFT JOIN documents d USING (file_no, line)
                LEFT JOIN dangling g USING (file_no, line, entry)
                LEFT JOIN prefectures p USING (file_no, line)
            )
            SELECT file_no, line, entry, res, rtype, {problem_sql()} AS problem, h, rid,
                   subject_ref, doc_key, doc_author_prefecture, {linked_sql()} AS linked
            FROM placed
            UNION ALL
            SELECT file_no, line, NULL, NULL, NULL, 'empty', NULL, NULL, NULL, NULL, NULL, false
            FROM docs
            WHERE is_bundle AND coalesce(json_array_length(doc, '$.entry'), 0) = 0
            """
        )
    finally:
        con.unregister("batch_in")


_ORGANIZATION = literal(
    '{"identifier":[{"system":"VARCHAR","value":"VARCHAR"}],'
    '"extension":[{"url":"VARCHAR","valueCoding":{"code":"VARCHAR"}}]}'
)
_PREFECTURE_EXT = (
    "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Organization_PrefectureNo"
)
_INSTITUTION_NO = "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no"


def _author_prefecture_ctes() -> str:
    """CTEs ending in `prefectures(file_no, line, prefecture)`: for each document, the
    prefecture of its first authoring Organization in the Bundle (JP Core prefecture
    extension, else the first two digits of its 10-digit 医療機関番号)."""
    return f"""
            authors AS (
                SELECT file_no, line, unnest(json_extract_string(doc_res,
                       '$.author[*].reference')) AS ref,
                       generate_subscripts(json_extract_string(doc_res,
                       '$.author[*].reference'), 1) AS n
                FROM documents WHERE doc_res IS NOT NULL
            ),
            organizations AS (
                SELECT file_no, line, full_url, rid,
                       from_json(res, {_ORGANIZATION}) AS o
                FROM typed WHERE rtype = 'Organization' AND bundle_type = 'document'
            ),
            author_prefectures AS (
                SELECT a.file_no, a.line, a.n, coalesce(
                    list_filter(o.o.extension, lambda e: e.url = {literal(_PREFECTURE_EXT)})
                        [1].valueCoding.code,
                    left(list_filter(o.o.identifier, lambda i: i.system =
                        {literal(_INSTITUTION_NO)} AND length(i.value) = 10)[1].value, 2))
                    AS prefecture
                FROM authors a JOIN organizations o ON a.file_no = o.file_no
                    AND a.line = o.line AND (a.ref = o.full_url
                    OR a.ref = 'Organization/' || o.rid)
            ),
            prefectures AS (
                SELECT file_no, line, arg_min(prefecture, n) AS prefecture
                FROM author_prefectures WHERE regexp_full_match(prefecture, '[0-4][0-9]')
                GROUP BY file_no, line
            )"""


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


def unlinked_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Good resources of modelled types that belong to no person, per resourceType."""
    rows = con.execute(
        "SELECT rtype, count(*) FROM raw WHERE problem IS NULL AND NOT linked "
        f"AND rtype IN ({', '.join(literal(t) for t in BY_TYPE)}) GROUP BY rtype"
    ).fetchall()
    return {str(t): int(n) for t, n in rows}


def table_select_sql(table: FhirTable, *, parsed: bool = False) -> str:
    """One table's rows from `raw`; `parsed` when `raw.h` already holds the table's fields
    (the NDJSON fast path), else each resource's text is parsed for the table."""
    record = "h" if parsed else f"from_json(res, {literal(table.structure_json)})"
    where = f"problem IS NULL AND rtype = {literal(table.resource_type)}"
    subject = f"h.{table.subject_field}.reference" if table.subject_field else "NULL::VARCHAR"
    if parsed:  # the fast path's `raw`: every resource linked, known by its id, no document
        context = (
            f"h.id AS rid, {subject} AS subject_ref, NULL::VARCHAR AS doc_key, "
            "NULL::VARCHAR AS doc_author_prefecture"
        )
    else:
        where += " AND linked"
        context = "rid, subject_ref, doc_key, doc_author_prefecture"
    if parsed and table.unnest:  # most resources have no such list: skip them early
        where += f" AND len(h.{table.unnest}) > 0"
    parsed_sql = f"SELECT {record} AS r, {context} FROM raw WHERE {where}"
    if table.unnest:
        names = "rid, subject_ref, doc_key, doc_author_prefecture"
        parsed_sql = f"SELECT r, unnest(r.{table.unnest}) AS c, {names} FROM ({parsed_sql})"
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
        source = subject if key == "subject_ref" else key.replace("r.", "h.", 1)
        keys = f"SELECT DISTINCT {source} AS k FROM raw WHERE {where}"
        joins.append(
            f"LEFT JOIN (SELECT k, {func}k) AS v FROM ({keys})) {alias} ON {key} = {alias}.k"
        )
        exprs.append(f"{alias}.v::{c.type} AS {c.name}")
    columns = ",\n  ".join(exprs)
    return f"SELECT\n  {columns}\nFROM ({parsed_sql}) " + " ".join(joins)


# `lake_person(subject_ref)` and `lake_ref('Type', r.x.reference)`: (function, key).
_MEMOISED = re.compile(
    r"(lake_person\(|lake_ref\('[A-Za-z]+', )(r\.[A-Za-z0-9_.\[\]]+|subject_ref)\)"
)


def table_rows(
    con: duckdb.DuckDBPyConnection, table: FhirTable, *, parsed: bool = False
) -> pa.Table:
    return con.sql(table_select_sql(table, parsed=parsed)).to_arrow_table()


def _each(items: str, values: str, where: str) -> str:
    """The strings `values` (a list over `x`) of every element `x` of list `items`."""
    return f"SELECT unnest({values}) FROM (SELECT unnest({items}) AS x {where})"


_GOOD = "FROM raw WHERE problem IS NULL"
_OF_PEOPLE = f"{_GOOD} AND rtype IN {_PEOPLE}"
_OF_EXTENSIONS = f"{_GOOD} AND rtype IN (" + ", ".join(literal(t) for t in EXTENSION_TYPES) + ")"
# A HumanName `m` as a person is named: its text, and given and family names together.
_FULL_NAMES = (
    "[m.text, concat_ws(' ', array_to_string(m.given, ' '), m.family), "
    "concat_ws(' ', m.family, array_to_string(m.given, ' '))]"
)


def removed_values_sql(fields: Collection[str] | None = None) -> str:
    """SQL for the direct-identifier strings of the good resources in `raw` other than their
    own ids, one per row (column `value`, NULLs included): one simple select per field,
    unioned. A list per resource built with list_concat and then unnested cost three times
    as much. `fields` are those of `REMOVED_STRUCTURE` that `raw.h` has (default: all, as
    the batch path reads them; the fast path reads `removed_fields` of its type)."""
    have = set(REMOVED_STRUCTURE if fields is None else fields)
    good, of_people, each = _GOOD, _OF_PEOPLE, _each
    selects: dict[str, list[str]] = {
        f: [
            f"SELECT h.{f}.display {good} AND h.{f} IS NOT NULL",
            f"SELECT h.{f}.identifier.value {good} AND h.{f}.identifier.value IS NOT NULL",
        ]
        for f in _DISPLAY_FIELDS
    }
    selects.update(
        {
            "identifier": [each("h.identifier", "[x.value]", good)],
            "participant": [each("h.participant", "[x.individual.display]", good)],
            "performer": [
                each("h.performer", "[x.display, x.actor.display, x.identifier.value]", good)
            ],
            "author": [each("h.author", "[x.display, x.identifier.value]", good)],
            "location": [
                "SELECT unnest(CASE WHEN json_type(h.location) = 'ARRAY' "
                "THEN json_extract_string(h.location, '$[*].location.display') "
                f"ELSE [json_extract_string(h.location, '$.display')] END) {good} "
                "AND h.location IS NOT NULL"
            ],
            "name": [
                each(
                    "h.name",
                    "list_concat(x.given, [x.family, x.text, "
                    "concat_ws(' ', array_to_string(x.given, ' '), x.family)])",
                    of_people,
                )
            ],
            "telecom": [each("h.telecom", "[x.value]", of_people)],
            "address": [
                each(
                    "h.address",
                    "list_concat(x.line, [x.city, x.postalCode, x.district, x.text])",
                    of_people,
                )
            ],
            "contact": [
                each(
                    "h.contact",
                    "list_concat(x.name.given, [x.name.family], "
                    "list_transform(x.telecom, lambda t: t.value))",
                    of_people,
                )
            ],
            "extension": [
                each(
                    "h.extension",
                    "list_concat(x.valueAddress.line, "
                    "[x.valueString, x.valueAddress.city, x.valueAddress.postalCode])",
                    _OF_EXTENSIONS,
                )
            ],
            "subscriberId": [f"SELECT h.subscriberId {good} AND h.subscriberId IS NOT NULL"],
            "dependent": [f"SELECT h.dependent {good} AND h.dependent IS NOT NULL"],
            "accessionIdentifier": [
                f"SELECT h.accessionIdentifier.value {good} "
                "AND h.accessionIdentifier.value IS NOT NULL"
            ],
            "contained": [
                each(
                    "h.contained",
                    "list_concat([x.id], list_transform(x.identifier, lambda i: i.value), "
                    "flatten(list_transform(x.name, lambda m: list_concat(m.given, "
                    f"{_FULL_NAMES}, [m.family]))), "
                    "list_transform(x.telecom, lambda t: t.value), "
                    "flatten(list_transform(x.address, lambda a: "
                    "list_concat(a.line, [a.city, a.postalCode, a.text]))))",
                    good,
                )
            ],
        }
    )
    return " UNION ALL ".join(
        sql for field, sqls in selects.items() if field in have for sql in sqls
    )


def removed_rows(con: duckdb.DuckDBPyConnection, fields: Collection[str] | None = None) -> pa.Table:
    """The direct-identifier strings of this batch, as the sweep reads them
    (`tre.lake.sweep.swept`: value, hash, length); `fields` as for `removed_values_sql`
    (given: the fast path, whose resources are known by their ids)."""
    values = removed_values_sql(fields)
    distinct = f"SELECT DISTINCT value FROM ({values}) AS r(value) WHERE length(value) >= 2"
    # Own ids are all but unique already: making them distinct cost more than the rest of
    # this query, and a repeat costs the sweep nothing. A Bundle entry known by its fullUrl
    # uuid has that as well.
    own_ids = "SELECT h.id FROM raw WHERE problem IS NULL AND length(h.id) >= 2"
    if fields is None:
        own_ids += (
            " UNION ALL SELECT rid FROM raw WHERE problem IS NULL AND rid IS NOT NULL"
            " AND rid IS DISTINCT FROM h.id"
        )
    return con.sql(f"{swept(own_ids)} UNION ALL {swept(distinct)}").to_arrow_table()


def removed_text_rows(
    con: duckdb.DuckDBPyConnection, fields: Collection[str] | None = None
) -> pa.Table:
    """What the text sweep looks for inside longer strings (`tre.lake.sweep_text`): people's
    full names and address texts, and their phone numbers, postcodes and identifiers."""
    have = set(REMOVED_STRUCTURE if fields is None else fields)
    none = "SELECT NULL::VARCHAR WHERE false"
    names, places, numbers = [none], [none], [none]
    if "name" in have:
        names.append(_each("h.name", _FULL_NAMES.replace("m.", "x."), _OF_PEOPLE))
    if "contact" in have:
        names.append(
            _each(
                "h.contact",
                "[concat_ws(' ', x.name.family, array_to_string(x.name.given, ' '))]",
                _OF_PEOPLE,
            )
        )
        numbers.append(
            _each("h.contact", "list_transform(x.telecom, lambda t: t.value)", _OF_PEOPLE)
        )
    if "address" in have:
        places.append(_each("h.address", "list_concat(x.line, [x.text])", _OF_PEOPLE))
        numbers.append(_each("h.address", "[x.postalCode]", _OF_PEOPLE))
    if "telecom" in have:
        numbers.append(_each("h.telecom", "[x.value]", _OF_PEOPLE))
    if "identifier" in have:
        numbers.append(_each("h.identifier", "[x.value]", f"{_GOOD} AND rtype = 'Patient'"))
    if "contained" in have:
        names.append(
            _each("h.contained", f"flatten(list_transform(x.name, lambda m: {_FULL_NAMES}))", _GOOD)
        )
        numbers.append(_each("h.contained", "list_transform(x.telecom, lambda t: t.value)", _GOOD))
    sql = removed_text_sql(
        " UNION ALL ".join(names), " UNION ALL ".join(places), " UNION ALL ".join(numbers)
    )
    return fold_removed(con, con.sql(sql).to_arrow_table())


_IDENTIFIERS = literal('{"identifier":[{"system":"VARCHAR","value":"VARCHAR"}]}')


def collect_links(
    con: duckdb.DuckDBPyConnection, system: str | None, *, parsed: bool = False
) -> None:
    """For the Patients of this batch: append to `aliases` (person key of each identifier,
    local person pseudonym), which logical references resolve through, and, when the
    source links by `system`, to `links` (local pseudonym, linkage pseudonym).
    `parsed`: `raw.h` already holds the Patient's `identifier` (the fast path)."""
    record = "h" if parsed else f"from_json(res, {_IDENTIFIERS})"
    rid = "h.id" if parsed else "rid"
    identifiers = f"""
        SELECT lake_hmac_prefixed('', rid) AS local, i.system AS system, i.value AS value
        FROM (SELECT {rid} AS rid, unnest({record}.identifier) AS i
              FROM raw WHERE problem IS NULL AND rtype = 'Patient')
        WHERE i.system IS NOT NULL AND i.value IS NOT NULL
    """
    con.execute(
        f"INSERT INTO aliases SELECT DISTINCT person_key(system, value), local FROM ({identifiers})"
    )
    if system:
        con.execute(
            "INSERT INTO links SELECT local, linkage_key(system, value) "
            f"FROM ({identifiers}) WHERE system = $1",
            [system],
        )


_COVERAGE = literal(
    '{"extension":[{"url":"VARCHAR","valueString":"VARCHAR"}],'
    '"payor":[{"reference":"VARCHAR","identifier":{"system":"VARCHAR","value":"VARCHAR"}}]}'
)
_INSURED = "http://jpfhir.jp/fhir/core/Extension/StructureDefinition/JP_Coverage_InsuredPerson"
INSURER_SYSTEM = "urn:oid:1.2.392.100495.20.3.61"  # 保険者番号


def collect_coverage_links(con: duckdb.DuckDBPyConnection, system: str | None) -> None:
    """For the Coverages of this batch (JP Core: 記号, 番号 and 枝番 as extensions, the
    insurer's 保険者番号 as the payor's identifier, or that of the payor Organization in the
    same Bundle): the beneficiary's insurance identity, as `collect_links` records a
    patient's JP_Insurance_memberID identifier."""
    ext = "list_filter(c.extension, lambda e: e.url = '{url}')[1].valueString"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE coverage_identities AS
        WITH coverages AS (
            SELECT file_no, line, lake_person(subject_ref) AS local,
                   from_json(res, {_COVERAGE}) AS c
            FROM raw WHERE problem IS NULL AND linked AND rtype = 'Coverage'
        ),
        insurers AS (
            SELECT file_no, line, rid, list_filter(from_json(res,
                   '{{"identifier":[{{"system":"VARCHAR","value":"VARCHAR"}}]}}').identifier,
                   lambda i: i.system = {literal(INSURER_SYSTEM)})[1].value AS number
            FROM raw WHERE problem IS NULL AND rtype = 'Organization'
        ),
        parts AS (
            SELECT v.local, coalesce(
                       CASE WHEN v.c.payor[1].identifier.system = {literal(INSURER_SYSTEM)}
                            THEN v.c.payor[1].identifier.value END, i.number) AS insurer,
                   {ext.format(url=_INSURED + "Symbol")} AS symbol,
                   {ext.format(url=_INSURED + "Number")} AS number,
                   {ext.format(url=_INSURED + "SubNumber")} AS branch
            FROM coverages v LEFT JOIN insurers i ON i.file_no = v.file_no
                 AND i.line = v.line AND ref_id(v.c.payor[1].reference) = i.rid
        )
        SELECT local, concat_ws(':', insurer, symbol, number, coalesce(branch, '')) AS value
        FROM parts WHERE local IS NOT NULL AND insurer IS NOT NULL AND number IS NOT NULL
        """
    )
    con.execute(
        "INSERT INTO aliases SELECT DISTINCT person_key($1, value), local FROM coverage_identities",
        [INSURANCE_MEMBER_SYSTEM],
    )
    if system == INSURANCE_MEMBER_SYSTEM:
        con.execute(
            "INSERT INTO links SELECT local, linkage_key($1, value) FROM coverage_identities",
            [system],
        )
    con.execute("DROP TABLE coverage_identities")


def logical_persons(con: duckdb.DuckDBPyConnection) -> None:
    """Append to `logical` the person keys that this batch's logical references name."""
    con.execute(
        "INSERT INTO logical SELECT DISTINCT lake_person(subject_ref) FROM raw "
        f"WHERE problem IS NULL AND linked AND starts_with(subject_ref, '{LOGICAL}')"
    )
