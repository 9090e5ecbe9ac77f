"""Build one project extract from pinned lake snapshots, entirely inside DuckDB.

`build_extract(spec, out_dir)` writes into `out_dir` (which must not exist yet):

    data/<source>.<table>.parquet   only the granted columns of each granted dataset
    catalog.duckdb                  a view `<source>.<table>` over each file, with comments
                                    (English) and `main.tre_descriptions` (the other languages)
    manifest.json                   project, snapshots, tables, columns, counts, hashes, time

and returns the manifest plus the lake pseudonyms of the persons the extract contains
(for the control database; they are never written into the extract).

Rules, all computed set-wise in DuckDB:
- persons: the distinct person ids of the granted datasets (or, with a cohort filter, the
  persons of the patient dataset matching it), minus opted-out persons;
- every table that has a `person_id` column keeps only rows of those persons (even when
  that column itself is not granted); rows without a person are left out;
- every `person_id` or `pseudonym` column is replaced by HMAC-SHA256(project secret, lake
  value), the lake's construction (`tre.lake.pseudonymise`); the secret is bound as a
  prepared parameter, never written into SQL text.
How (`tre.extract.pseudonyms`): one pass over the person columns builds `_person_map`
(each person in scope hashed once) and per-table person counts; one mapping per other
identifier column name hashes each distinct value once; each table is then written by one
`COPY` whose inner join to `_person_map` both filters persons and re-pseudonymises them,
with a LEFT join per other identifier (NULL stays NULL).
Views name their Parquet files relative to the catalogue's directory, so the extract works
wherever it is mounted when opened with `file_search_path` set to that directory (as
`tre.client.connect()` does).
"""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tre import native
from tre.client import DESCRIPTIONS_TABLE  # the extract's reader: the table's one definition
from tre.errors import UserError
from tre.extract.filter import validate_cohort_filter
from tre.extract.pseudonyms import (
    OPTED_OUT,
    PERSON_MAP,
    IdColumn,
    create_id_maps,
    create_opted_out,
    create_person_map,
    hmac_sql,
    key_parameters,
    persons_per_table,
)
from tre.i18n import SUPPORTED, _, translate_description
from tre.lake.snapshots import file_sha256
from tre.sql import identifier, literal

IDENTIFIER_ROLES = frozenset({"person_id", "pseudonym"})
PATIENT_TABLE = "patient"
# Failure injection for tests of interrupted builds: SIGKILL self after N tables.
CRASH_AFTER_ENV = "TRE_EXTRACT_CRASH_AFTER_TABLES"
# The same Parquet settings as bench/extract.py's baseline (DuckDB's default row groups).
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SourceColumn:
    name: str
    type: str
    description: str = ""
    role: str = "attribute"


@dataclass(frozen=True)
class SourceDataset:
    """One lake dataset pinned to a snapshot (mirrors tre.lake.catalog.Dataset)."""

    name: str  # "<source>.<table>"
    source: str
    table: str
    snapshot_id: str
    path: Path
    columns: Sequence[SourceColumn]
    description: str = ""
    tier: str = ""
    # The snapshot's `persons.parquet (person_id, "table")`, if it has one: the persons of
    # this table are read from it instead of from the table itself.
    persons_file: Path | None = None


@dataclass(frozen=True)
class BuildSpec:
    project_id: str
    datasets: Sequence[SourceDataset]
    grant: Mapping[str, Sequence[str]]
    secret: bytes = field(repr=False)
    opted_out: Iterable[str] = ()
    cohort_filter: str | None = None
    build_id: str = ""


@dataclass
class BuildResult:
    manifest: dict[str, Any]
    persons: pa.Array  # lake pseudonyms of the persons in the extract


class ExtractError(UserError):
    """The permit and the lake do not fit together (missing dataset or column)."""


def _resolve(spec: BuildSpec) -> list[tuple[SourceDataset, list[SourceColumn]]]:
    """The granted datasets with their granted columns, in lake order; unknown → error."""
    by_name = {d.name: d for d in spec.datasets}
    missing = sorted(set(spec.grant) - set(by_name))
    if missing:
        raise ExtractError(
            _("The permit grants datasets the lake does not hold: {names}.").format(
                names=", ".join(missing)
            ),
            hint=_("Ingest them, or amend the permit."),
        )
    chosen = []
    for name, wanted in spec.grant.items():
        dataset = by_name[name]
        known = {c.name: c for c in dataset.columns}
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            raise ExtractError(
                _("The permit grants columns that dataset {dataset} lacks: {names}.").format(
                    dataset=name, names=", ".join(unknown)
                ),
                hint=_("Check the catalogue (`tre lake catalog`) and amend the permit."),
            )
        if not wanted:
            continue
        cols = [c for c in dataset.columns if c.name in set(wanted)]
        chosen.append((dataset, cols))
    if not chosen:
        raise ExtractError(
            _("The permit grants no columns."), hint=_("Amend the permit to grant some data.")
        )
    return chosen


def _person_column(dataset: SourceDataset) -> str | None:
    return next((c.name for c in dataset.columns if c.role == "person_id"), None)


def _cohort_predicate(
    spec: BuildSpec, chosen: list[tuple[SourceDataset, list[SourceColumn]]]
) -> tuple[SourceDataset, str] | None:
    """The patient dataset and the checked cohort filter (None without a filter)."""
    if not (spec.cohort_filter and spec.cohort_filter.strip()):
        return None
    patients = [(d, c) for d, c in chosen if d.table == PATIENT_TABLE]
    if len(patients) != 1 or _person_column(patients[0][0]) is None:
        raise ExtractError(
            _("A cohort filter needs exactly one granted patient dataset."),
            hint=_("Grant the patient table of one source, or remove the cohort filter."),
        )
    dataset, cols = patients[0]
    usable = [c.name for c in cols if c.role not in IDENTIFIER_ROLES]
    return dataset, validate_cohort_filter(spec.cohort_filter, usable)


def _cohort_sql(spec: BuildSpec, chosen: list[tuple[SourceDataset, list[SourceColumn]]]) -> str:
    """SQL selecting the lake person ids the cohort filter keeps ("" without a filter)."""
    found = _cohort_predicate(spec, chosen)
    if found is None:
        return ""
    dataset, predicate = found
    pid = identifier(_person_column(dataset) or "")
    return f"SELECT {pid} FROM read_parquet({literal(str(dataset.path))}) WHERE ({predicate})"


def check_cohort_filter(
    datasets: Sequence[SourceDataset], grant: Mapping[str, Sequence[str]], predicate: str
) -> str:
    """The cohort filter as builds will run it (sqlglot's rendering of the checked tree),
    or the error a build would raise: for checking a filter when a permit is issued."""
    spec = BuildSpec("", datasets, grant, b"", cohort_filter=predicate)
    found = _cohort_predicate(spec, _resolve(spec))
    return found[1] if found else ""


def _id_kinds(
    chosen: list[tuple[SourceDataset, list[SourceColumn]]],
) -> dict[str, list[IdColumn]]:
    """Granted identifier columns other than a table's person column, by column name."""
    kinds: dict[str, list[IdColumn]] = {}
    for dataset, cols in chosen:
        pid_col = _person_column(dataset)
        for col in cols:
            if col.role in IDENTIFIER_ROLES and col.name != pid_col:
                kinds.setdefault(col.name, []).append(
                    IdColumn(
                        literal(str(dataset.path)),
                        identifier(col.name),
                        identifier(pid_col) if pid_col else None,
                    )
                )
    return kinds


def _persons_of(dataset: SourceDataset) -> IdColumn:
    """Where the persons of a person-linked dataset are read: the snapshot's small persons
    file where there is one (a few rows per person), else the table's own column."""
    if dataset.persons_file is not None:
        return IdColumn(
            literal(str(dataset.persons_file)),
            identifier("person_id"),
            where=f'"table" = {literal(dataset.table)}',
        )
    return IdColumn(literal(str(dataset.path)), identifier(_person_column(dataset) or ""))


def _select_sql(
    dataset: SourceDataset,
    cols: list[SourceColumn],
    id_maps: Mapping[str, str],
    person_filter: str,
) -> tuple[str, bool]:
    """The rows and columns of one table as the extract holds them, and whether the SQL
    hashes identifiers itself (the native HMAC, keyed by the `key_parameters` it expects).

    Identifier columns are looked up in their `id_maps` table, or hashed on each row when
    the map has no table for them. `person_filter` says how rows are restricted to the
    persons in scope when the person column is not granted: "map" (semi-join
    `_person_map`), "optout" (drop null and opted-out persons) or "notnull". When it is
    granted, the inner join to `_person_map` that replaces it does the restriction.
    """
    pid_col = _person_column(dataset)
    exprs: list[str] = []
    joins: list[str] = []
    where: list[str] = []
    hashed = False
    for col in cols:
        q = identifier(col.name)
        if col.name == pid_col:
            exprs.append(f"p.project_pid AS {q}")
        elif col.role in IDENTIFIER_ROLES and col.name not in id_maps:
            exprs.append(f"{hmac_sql(f't.{q}', native_hmac=True)} AS {q}")
            hashed = True
        elif col.role in IDENTIFIER_ROLES:
            alias = f"k{len(joins)}"
            joins.append(f"LEFT JOIN {id_maps[col.name]} AS {alias} ON t.{q} = {alias}.lake_value")
            exprs.append(f"{alias}.project_value AS {q}")
        else:
            exprs.append(f"t.{q}")
    source = f"read_parquet({literal(str(dataset.path))}) AS t"
    if pid_col:
        pid = f"t.{identifier(pid_col)}"
        if any(c.name == pid_col for c in cols):
            source += f" JOIN {PERSON_MAP} AS p ON {pid} = p.lake_pid"
        elif person_filter == "map":
            where.append(f"{pid} IN (SELECT lake_pid FROM {PERSON_MAP})")
        else:
            where.append(f"{pid} IS NOT NULL")
            if person_filter == "optout":
                where.append(f"{pid} NOT IN (SELECT lake_pid FROM {OPTED_OUT})")
    sql = f"SELECT {', '.join(exprs)} FROM {source} {' '.join(joins)}"
    return sql + (f" WHERE {' AND '.join(where)}" if where else ""), hashed


def _maybe_crash(tables_done: int) -> None:
    limit = os.environ.get(CRASH_AFTER_ENV)
    if limit and limit.isdigit() and tables_done >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)


def build_extract(spec: BuildSpec, out_dir: Path, progress: Progress | None = None) -> BuildResult:
    """Write the extract for `spec` into the new directory `out_dir` (see module doc)."""
    chosen = _resolve(spec)
    cohort_sql = _cohort_sql(spec, chosen)  # validates the filter before anything is written
    total = len(chosen) + 2
    report = progress or (lambda _step, _done, _total: None)
    (out_dir / "data").mkdir(parents=True)
    # Row order means nothing in an extract; not keeping it lets COPY write in parallel.
    con = native.connect(config={"preserve_insertion_order": False})
    # Each written file is hashed on a worker thread while DuckDB writes the next one.
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tre-sha256")
    hashes: list[Future[str]] = []
    try:
        report("persons", 0, total)
        opted = create_opted_out(con, spec.opted_out)
        with_pid = [(i, d) for i, (d, _c) in enumerate(chosen) if _person_column(d)]
        person_columns = [_persons_of(d) for _i, d in with_pid]
        create_person_map(con, person_columns, cohort_sql or None, spec.secret)
        per_source = persons_per_table(con)
        persons_of = {i: per_source.get(n, 0) for n, (i, _d) in enumerate(with_pid)}
        # With the native HMAC, hashing a value on each row costs less than the join that
        # would look up its hash; in SQL, each distinct value is hashed once and joined back.
        # The person column is joined to the person map either way: that join also keeps
        # only the persons in scope.
        fast = native.loaded(con)
        id_maps = (
            {} if fast else create_id_maps(con, _id_kinds(chosen), spec.secret, bool(cohort_sql))
        )
        keys = key_parameters(spec.secret, native_hmac=True) if fast else None
        person_filter = "map" if cohort_sql else ("optout" if opted else "notnull")
        persons_total = _scalar(con, f"SELECT count(*) FROM {PERSON_MAP}")
        tables = []
        for done, (dataset, cols) in enumerate(chosen, start=1):
            report(dataset.name, done, total)
            sql, hashed = _select_sql(dataset, cols, id_maps, person_filter)
            table = _write_table(
                con, dataset, cols, sql, keys if hashed else None, persons_of.get(done - 1), out_dir
            )
            hashes.append(hasher.submit(file_sha256, out_dir / table["file"]))
            tables.append(table)
            _maybe_crash(done)
        persons = con.sql(f"SELECT lake_pid FROM {PERSON_MAP}").to_arrow_table()["lake_pid"]
        for table, digest in zip(tables, hashes, strict=True):
            table["sha256"] = digest.result()
    finally:
        con.close()
        hasher.shutdown(wait=True, cancel_futures=True)
    report("catalogue", total - 1, total)
    _write_catalog(out_dir, chosen)
    manifest = {
        "format": 1,
        "project": spec.project_id,
        "build_id": spec.build_id or out_dir.name,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "snapshots": [
            {"source": s, "snapshot_id": i}
            for s, i in sorted({(d.source, d.snapshot_id) for d, _c in chosen})
        ],
        "cohort_filter": bool(cohort_sql),
        "persons": persons_total,
        "tables": tables,
        "catalog_sha256": file_sha256(out_dir / "catalog.duckdb"),
    }
    tmp = out_dir / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out_dir / "manifest.json")
    report("done", total, total)
    return BuildResult(manifest=manifest, persons=persons.combine_chunks())


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = con.execute(sql).fetchall()  # fetch all: DuckDB refuses new work on open results
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _write_table(
    con: duckdb.DuckDBPyConnection,
    dataset: SourceDataset,
    cols: list[SourceColumn],
    select_sql: str,
    parameters: dict[str, bytes] | None,
    persons: int | None,
    out: Path,
) -> dict[str, Any]:
    """COPY one table to Parquet; `persons` comes from the person map (None: no person)."""
    rel = f"data/{dataset.name}.parquet"
    target = out / rel
    row = con.execute(
        f"COPY ({select_sql}) TO {literal(str(target))} ({PARQUET_OPTIONS})", parameters
    ).fetchall()
    rows = int(row[0][0]) if row else 0
    return {
        "name": dataset.name,
        "source": dataset.source,
        "table": dataset.table,
        "snapshot_id": dataset.snapshot_id,
        "file": rel,
        "rows": rows,
        "persons": persons,
        "sha256": None,  # filled in when the file's hash, computed aside, is ready
        "columns": [
            {"name": c.name, "type": c.type, "role": c.role, "description": c.description}
            for c in cols
        ],
    }


def _write_translations(
    con: duckdb.DuckDBPyConnection, chosen: list[tuple[SourceDataset, list[SourceColumn]]]
) -> None:
    """`main.tre_descriptions (lang, schema_name, table_name, column_name, description)`:
    the table (column_name NULL) and column descriptions in each language other than English
    that the catalogue translates, so `tre.client.describe` needs no catalogue to read them."""
    con.execute(
        f"CREATE TABLE {DESCRIPTIONS_TABLE} (lang VARCHAR, schema_name VARCHAR, "
        "table_name VARCHAR, column_name VARCHAR, description VARCHAR)"
    )
    rows = []
    for lang in SUPPORTED:
        if lang == "en":
            continue
        for dataset, cols in chosen:
            texts = [(None, dataset.description)] + [(c.name, c.description) for c in cols]
            for column, text in texts:
                translated = translate_description(text, lang) if text else text
                if translated and translated != text:
                    rows.append((lang, dataset.source, dataset.table, column, translated))
    if rows:
        con.executemany(f"INSERT INTO {DESCRIPTIONS_TABLE} VALUES (?, ?, ?, ?, ?)", rows)


def _write_catalog(out: Path, chosen: list[tuple[SourceDataset, list[SourceColumn]]]) -> None:
    """catalog.duckdb: one commented view per table, over a path relative to `out`."""
    path = out / "catalog.duckdb"
    con = duckdb.connect(str(path), config={"file_search_path": str(out)})
    try:
        for dataset, cols in chosen:
            schema, view = identifier(dataset.source), identifier(dataset.table)
            rel = literal(f"data/{dataset.name}.parquet")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            con.execute(f"CREATE VIEW {schema}.{view} AS SELECT * FROM read_parquet({rel})")
            comment = dataset.description or f"{dataset.name} (lake snapshot {dataset.snapshot_id})"
            con.execute(f"COMMENT ON VIEW {schema}.{view} IS {literal(comment)}")
            for col in cols:
                if col.description:
                    con.execute(
                        f"COMMENT ON COLUMN {schema}.{view}.{identifier(col.name)} "
                        f"IS {literal(col.description)}"
                    )
        # Unqualified names for convenience (`FROM patient`), where only one source has the table.
        names = Counter(dataset.table for dataset, _ in chosen)
        for dataset, _ in chosen:
            if names[dataset.table] == 1:
                schema, view = identifier(dataset.source), identifier(dataset.table)
                con.execute(f"CREATE VIEW main.{view} AS SELECT * FROM {schema}.{view}")
                con.execute(f"COMMENT ON VIEW main.{view} IS {literal(dataset.name)}")
        _write_translations(con, chosen)
        con.execute("CHECKPOINT")
    finally:
        con.close()
