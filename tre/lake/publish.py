"""Finishing an ingest: link persons, measure tables, sweep, write the manifest, publish.

Shared by FHIR and tabular ingestion. Tables arrive as `parts/<table>.parquet` in the
staging folder; they leave as `<table>.parquet` in a published snapshot, or not at all.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from tre import native
from tre.config import Settings
from tre.errors import InputError, UserError
from tre.i18n import _
from tre.lake.snapshots import file_sha256, publish
from tre.lake.sweep import sweep, swept
from tre.lake.sweep_text import sweep_text
from tre.sql import literal


class IngestFailed(UserError):
    """The query engine failed during an ingest; nothing was published."""


@contextmanager
def engine_errors() -> Iterator[None]:
    """Turn DuckDB failures into a one-line error. DuckDB messages can quote record values
    (a cast error echoes the cell), so only the kind of failure is shown."""
    try:
        yield
    except duckdb.OutOfMemoryException:
        raise IngestFailed(
            _("The ingest ran out of memory; nothing was published."),
            hint=_("Lower TRE_LAKE_BATCH_BYTES (or split very large bundles) and rerun."),
        ) from None
    except duckdb.Error as exc:
        raise IngestFailed(
            _("The ingest failed in the query engine ({kind}); nothing was published.").format(
                kind=type(exc).__name__
            ),
            hint=_("Check the input files and rerun; report this if it persists."),
        ) from None


@dataclass
class TablePart:
    """One output table in staging, with what the manifest says about its columns."""

    path: Path
    columns: dict[str, tuple[str, str]]  # name -> (description, role)
    date_column: str | None = None
    description: str = ""
    one_row_per_person: bool = False  # rows of one person are merged (after linkage)
    text_columns: list[str] = field(default_factory=list)  # read by the text sweep


@dataclass
class Outcome:
    source: str
    kind: str
    tiers: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


def connect(staging: Path, settings: Settings) -> duckdb.DuckDBPyConnection:
    """A DuckDB working database inside the staging folder, with bounded memory."""
    con = native.connect(str(staging / "work.duckdb"))
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET memory_limit = $1", [settings.lake_memory_limit])
    con.execute("SET temp_directory = $1", [str(staging / "spill")])
    # Temporary tables live in memory and spill to `temp_directory` past the limit; a table
    # of the working database would also be written to its file (slower, for no use).
    con.execute("CREATE TEMP TABLE removed (value VARCHAR)")
    con.execute("CREATE TEMP TABLE links (local VARCHAR, linked VARCHAR)")
    # Person keys of patients' identifiers (alias -> local pseudonym), and the keys that
    # logical references (`subject.identifier`) used: see tre.lake.linkage.
    con.execute("CREATE TEMP TABLE aliases (alias VARCHAR, local VARCHAR)")
    con.execute("CREATE TEMP TABLE logical (person VARCHAR)")
    return con


def _link_persons(con: duckdb.DuckDBPyConnection, parts: dict[str, TablePart], out: Path) -> None:
    """Rewrite person_id to one pseudonym per person, if anything links: a patient with an
    identifier of the linkage system takes its linkage pseudonym (`links`), and a logical
    reference to an identifier a patient of this ingest carries takes that patient's
    pseudonym (`aliases`, for the keys in `logical`). A table with one row per person keeps
    one row for each."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE person_links AS
        WITH canonical AS (SELECT local, min(linked) AS linked FROM links GROUP BY local)
        SELECT local, linked FROM canonical
        UNION ALL
        SELECT a.alias, coalesce(min(c.linked), min(a.local))
        FROM aliases a SEMI JOIN logical l ON a.alias = l.person
        LEFT JOIN canonical c ON c.local = a.local
        GROUP BY a.alias
        """
    )
    has_links = (con.execute("SELECT count(*) FROM person_links").fetchone() or (0,))[0] > 0
    for table, part in parts.items():
        target = out / f"{table}.parquet"
        linked = has_links and "person_id" in part.columns
        rows = "read_parquet($1) t"
        if linked:
            rows = (
                "(SELECT t.* REPLACE (coalesce(l.linked, t.person_id) AS person_id) "
                "FROM read_parquet($1) t LEFT JOIN person_links l ON t.person_id = l.local) t"
            )
        if part.one_row_per_person and _repeats_persons(con, part.path, linked):
            con.execute(
                f"COPY (SELECT DISTINCT ON (person_id) * FROM {rows} ORDER BY ALL) "
                f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)",
                [str(part.path)],
            )
            part.path.unlink()
        elif linked:
            con.execute(
                f"COPY (SELECT * FROM {rows}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)",
                [str(part.path)],
            )
            part.path.unlink()
        else:
            os.rename(part.path, target)
        part.path = target


def _repeats_persons(con: duckdb.DuckDBPyConnection, path: Path, linked: bool) -> bool:
    """Whether a table holds a person twice (after linkage, if `linked`)."""
    persons = "coalesce(l.linked, t.person_id)" if linked else "t.person_id"
    join = "LEFT JOIN person_links l ON t.person_id = l.local" if linked else ""
    rows, distinct = con.execute(
        f"SELECT count(*), count(DISTINCT {persons}) FROM read_parquet($1) t {join}",
        [str(path)],
    ).fetchone() or (0, 0)
    return bool(rows != distinct)


PERSONS_FILE = "persons.parquet"


def write_persons(
    con: duckdb.DuckDBPyConnection, tables: dict[str, Path], target: Path
) -> tuple[dict[str, int], int]:
    """`persons.parquet (person_id, "table")` at `target`: which persons each of the
    person-linked `tables` (name -> Parquet file with `person_id`) holds, one row per pair.
    An extract reads its persons in scope from this small file instead of scanning every
    granted table. Returns the number of persons per table and in all of them."""
    selects = [
        f'SELECT DISTINCT person_id, {literal(table)} AS "table" '
        f"FROM read_parquet({literal(str(path))}) WHERE person_id IS NOT NULL"
        for table, path in sorted(tables.items())
    ] or ['SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS "table" WHERE false']
    con.execute(
        f"COPY ({' UNION ALL '.join(selects)}) TO {literal(str(target))} "
        "(FORMAT parquet, COMPRESSION zstd)"
    )
    rows = con.execute(
        'SELECT "table", count(DISTINCT person_id) FROM read_parquet($1) '
        'GROUP BY GROUPING SETS (("table"), ())',
        [str(target)],
    ).fetchall()
    per_table = {str(table): int(n) for table, n in rows if table is not None}
    return per_table, next(int(n) for table, n in rows if table is None)


def _describe(
    con: duckdb.DuckDBPyConnection, part: TablePart, tier: str, persons: int | None
) -> dict[str, Any]:
    path = str(part.path)
    rows = (con.execute("SELECT count(*) FROM read_parquet($1)", [path]).fetchone() or (0,))[0]
    coverage = None
    if part.date_column:
        low, high = con.execute(
            f'SELECT min("{part.date_column}")::VARCHAR, max("{part.date_column}")::VARCHAR '
            "FROM read_parquet($1)",
            [path],
        ).fetchone() or (None, None)
        coverage = {"column": part.date_column, "min": low, "max": high}
    described = con.execute("DESCRIBE SELECT * FROM read_parquet($1)", [path]).fetchall()
    columns = [
        {
            "name": name,
            "type": column_type,
            "description": part.columns.get(name, ("", "attribute"))[0],
            "role": part.columns.get(name, ("", "attribute"))[1],
        }
        for name, column_type, *_ in described
    ]
    return {
        "file": part.path.name,
        "description": part.description,
        "rows": int(rows),
        "persons": None if persons is None else int(persons),
        "sha256": None,  # filled in when the file's hash, computed aside, is ready
        "tier": tier,
        "coverage": coverage,
        "columns": columns,
    }


def finish(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    staging: Path,
    parts: dict[str, TablePart],
    outcome: Outcome,
    removed_files: Sequence[Path] = (),
    removed_text_files: Sequence[Path] = (),
) -> dict[str, Any]:
    """Link, sweep, describe and publish; raise InputError (publishing nothing) on a hit.

    The sweep looks for the strings of table `removed` and of the Parquet `removed_files`
    (rows of `tre.lake.sweep.swept`); the text sweep for those of `removed_text_files`
    (rows of `tre.lake.sweep_text.removed_text_sql`) inside the parts' text columns.
    """
    _link_persons(con, parts, staging)
    # The table files are final: hash them (and flush them to disk) on a worker thread while
    # DuckDB sweeps and measures them.
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tre-sha256")
    try:
        return _checked_and_published(
            con, settings, staging, parts, outcome, removed_files, removed_text_files, hasher
        )
    finally:
        hasher.shutdown(wait=True, cancel_futures=True)


def _checked_and_published(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    staging: Path,
    parts: dict[str, TablePart],
    outcome: Outcome,
    removed_files: Sequence[Path],
    removed_text_files: Sequence[Path],
    hasher: ThreadPoolExecutor,
) -> dict[str, Any]:
    hashes = {t: hasher.submit(file_sha256, p.path, sync=True) for t, p in sorted(parts.items())}
    removed = swept("SELECT value FROM removed")
    for path in removed_files:
        removed += f" UNION ALL SELECT value, h, n FROM read_parquet({literal(str(path))})"
    con.execute(f"CREATE OR REPLACE TEMP VIEW removed_all AS {removed}")
    hits = sweep(con, {t: p.path for t, p in parts.items()}, "removed_all")
    if removed_text_files:
        files = ", ".join(literal(str(p)) for p in removed_text_files)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW removed_text AS SELECT DISTINCT kind, value "
            f"FROM read_parquet([{files}])"
        )
        texts = {t: (p.path, p.text_columns) for t, p in parts.items() if p.text_columns}
        hits += [h for h in sweep_text(con, texts, "removed_text") if h not in hits]
    if hits:
        where = ", ".join(f"{t}.{c}" for t, c in hits)
        raise InputError(
            _(
                "Direct identifiers from the source were found in the output ({where}); "
                "nothing was published."
            ).format(where=where),
            hint=_("Check the column definitions for these tables; do not publish this data."),
        )
    con.close()
    for leftover in ("work.duckdb", "work.duckdb.wal"):
        (staging / leftover).unlink(missing_ok=True)
    for path in (staging / "spill", staging / "parts"):
        if path.is_dir():
            for child in path.iterdir():
                child.unlink()
            path.rmdir()
    check = duckdb.connect(config={"preserve_insertion_order": False})
    try:
        persons_path = staging / PERSONS_FILE
        linked = {t: p.path for t, p in parts.items() if "person_id" in p.columns}
        per_table, persons = write_persons(check, linked, persons_path)
        persons_hash = hasher.submit(file_sha256, persons_path, sync=True)
        tables = {
            table: _describe(
                check,
                part,
                outcome.tiers.get(table, "standard"),
                per_table.get(table, 0) if "person_id" in part.columns else None,
            )
            for table, part in sorted(parts.items())
        }
        for table, described in tables.items():
            described["sha256"] = hashes[table].result()
        persons_sha256 = persons_hash.result()
    finally:
        check.close()
    content = hashlib.sha256(
        (
            "".join(f"{t}:{d['sha256']}\n" for t, d in sorted(tables.items()))
            + f"{PERSONS_FILE}:{persons_sha256}\n"
        ).encode()
    ).hexdigest()
    manifest: dict[str, Any] = {
        "id": staging.name,
        "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "source": outcome.source,
        "kind": outcome.kind,
        "tables": tables,
        "rows": sum(d["rows"] for d in tables.values()),
        "persons": persons,
        "persons_file": {"file": PERSONS_FILE, "sha256": persons_sha256},
        "content_sha256": content,
        **outcome.extra,
    }
    publish(settings, staging, manifest)
    return manifest
