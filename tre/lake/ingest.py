"""`tre lake ingest fhir`: FHIR R4 bundles and bulk NDJSON into one immutable lake snapshot.

Bulk-export NDJSON named after its resource type is read in one pass per file by DuckDB
(`tre.lake.fhir_fast`); a file with any problem falls back to the batch path. Batch path:
input is read in batches of `settings.lake_batch_bytes`; each batch is parsed,
checked and flattened in DuckDB and appended to per-table Parquet writers, so memory depends
on the batch size, not on the input size. Nothing is visible in the lake until the whole
snapshot, swept for leaked identifiers, is renamed into place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tre.config import Settings
from tre.errors import InputError, UserError
from tre.i18n import _
from tre.lake import fhir, fhir_fast, fhir_read, ndjson_chunks
from tre.lake.events import record_event
from tre.lake.fhir_tables import DESCRIPTIONS, TABLES
from tre.lake.fhir_types import R4_RESOURCE_TYPES
from tre.lake.part_writers import REMOVED_PART, REMOVED_TEXT_PART, PartWriters
from tre.lake.pseudonymise import check_source_name
from tre.lake.publish import Outcome, TablePart, connect, engine_errors, finish
from tre.lake.snapshots import lake_lock, new_snapshot_id, staged

Progress = Callable[[int, int], None]
MODELLED = {t.resource_type for t in TABLES}
SKIPPED_RECORDS_KEPT = 1000


def check_source(source: str) -> None:
    if not check_source_name(source):
        raise UserError(
            _("Invalid source name: use lower-case letters, digits, '-' or '_' (max 63)."),
            hint=_("For example --source synthea."),
        )


def tiers_for(settings: Settings, source: str, tables: list[str]) -> dict[str, str]:
    config = settings.sources.get(source)
    if config is None:
        return dict.fromkeys(tables, "standard")
    return {t: config.tiers.get(t, config.tier) for t in tables}


def _problem_error(
    files: list[fhir_read.InputFile], batch: pa.Table, problem: tuple[int, int, int | None, str]
) -> InputError:
    file_no, line, entry, code = problem
    item = files[file_no]
    if item.kind == "bundle" and code == "malformed_json" and entry is None:
        mask = pc.equal(batch.column("file_no"), file_no)
        line = fhir_read.json_error_line(batch.filter(mask).column("doc")[0].as_py())
    where = _("entry {entry}").format(entry=entry) if entry else _("line {line}").format(line=line)
    return InputError(
        f"{item.path}: {where}: {_(fhir.PROBLEMS[code])}.",
        hint=_(
            "Fix or remove that record, or rerun with --on-error skip to leave such "
            "records out (they are reported)."
        ),
    )


def ingest_fhir(
    settings: Settings,
    paths: list[Path],
    source: str,
    *,
    actor: str,
    on_error: str = "fail",
    linkage_system: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Ingest FHIR files into a new snapshot of `source`, audited as `actor`; return its
    manifest.

    Raises InputError naming file and line for bad input when `on_error` is `fail`; with
    `skip`, bad records are left out and counted in the manifest's `skipped` report.
    """
    check_source(source)
    if on_error not in ("fail", "skip"):
        raise UserError(_("--on-error must be 'fail' or 'skip'."))
    files = fhir_read.discover(paths)
    key = settings.read_lake_key()
    config = settings.sources.get(source)
    linkage = linkage_system or (config.linkage_system if config else None)
    total = sum(f.size for f in files)
    with engine_errors(), lake_lock(settings), staged(settings, new_snapshot_id(source)) as staging:
        con = connect(staging, settings)
        fhir.prepare(con, source, key, linkage)
        # Source file names carry patients' names and identifiers (Synthea bundles do).
        names = {
            v
            for f in files
            for v in (f.path.name, f.path.name.split(".")[0])
            if v not in R4_RESOURCE_TYPES  # bulk export names: Patient.000.ndjson
        }
        con.executemany("INSERT INTO removed VALUES (?)", [[n] for n in sorted(names)])
        (staging / "parts").mkdir()
        writers = PartWriters(staging / "parts")
        state = _State(files, on_error, linkage, writers, settings.lake_batch_bytes)
        try:
            slow, fast_done = set(), 0

            def piece_done(before: int, consumed: int) -> None:
                if progress:
                    progress(before + consumed, total)

            for file_no, item in enumerate(files):
                report = partial(piece_done, fast_done)
                if not _ingest_fast(con, state, file_no, staging, settings, report):
                    slow.add(file_no)
                    continue
                fast_done += item.size
            batches = fhir_read.read_batches(files, settings.lake_batch_bytes, slow)
            for batch, done in fhir_read.prefetched(batches) if slow else ():
                _ingest_batch(con, state, batch)
                if progress:
                    progress(fast_done + done, total)
        finally:
            writers.close()
        types, problems, skipped = state.types, state.problems, state.skipped
        empty = [n for n in range(len(files)) if n not in state.seen_files]
        if empty and on_error == "fail":
            raise InputError(
                _("{file}: empty input: no resources.").format(file=files[empty[0]].path),
                hint=_("Remove the empty file or rerun with --on-error skip."),
            )
        for n in empty:
            problems["empty"] += 1
            if len(skipped) < SKIPPED_RECORDS_KEPT:
                skipped.append({"input": n, "line": None, "entry": None, "problem": "empty"})
        if not writers.tables - {REMOVED_PART, REMOVED_TEXT_PART}:
            raise InputError(
                _("Empty input: none of the {n} file(s) holds a resource this lake models.").format(
                    n=len(files)
                ),
                hint=_("Check that these are FHIR R4 exports with patient data."),
            )
        parts = {
            t.table: TablePart(
                staging / "parts" / f"{t.table}.parquet",
                {c.name: (c.description, c.role) for c in t.columns},
                t.date_column,
                DESCRIPTIONS[t.table],
                one_row_per_person=t.one_row_per_person,
                text_columns=t.text_columns,
            )
            for t in TABLES
            if t.table in writers.tables
        }
        unmodelled = {t: n for t, n in sorted(types.items()) if t not in MODELLED}
        outcome = Outcome(
            source=source,
            kind="fhir",
            tiers=tiers_for(settings, source, list(parts)),
            extra={
                "linkage_system": linkage,
                "inputs": {"files": len(files), "bytes": total},
                "resources": dict(sorted(types.items())),
                "unmodelled": unmodelled,
                "unlinked": dict(sorted(state.unlinked.items())),
                "skipped": {"counts": dict(problems), "records": skipped},
            },
        )
        removed = [writers.path(REMOVED_PART)] if REMOVED_PART in writers.tables else []
        removed_text = (
            [writers.path(REMOVED_TEXT_PART)] if REMOVED_TEXT_PART in writers.tables else []
        )
        manifest = finish(con, settings, staging, parts, outcome, removed, removed_text)
    record_event(
        settings,
        actor,
        "lake.ingest",
        "snapshot",
        manifest["id"],
        {"source": source, "rows": manifest["rows"], "tables": sorted(manifest["tables"])},
    )
    return manifest


@dataclass
class _State:
    """What one ingest carries from batch to batch."""

    files: list[fhir_read.InputFile]
    on_error: str
    linkage: str | None
    writers: PartWriters
    batch_bytes: int
    types: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    unlinked: Counter[str] = field(default_factory=Counter)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    seen_files: set[int] = field(default_factory=set)


def _ingest_fast(
    con: duckdb.DuckDBPyConnection,
    state: _State,
    file_no: int,
    staging: Path,
    settings: Settings,
    piece_done: Callable[[int], None],
) -> bool:
    """Ingest a bulk-export NDJSON file a piece at a time; False if it is not one.

    Each piece of about `settings.lake_chunk_bytes` is parsed by DuckDB in one read; a piece
    with any problem is re-read through the batch path with the input's own line numbers."""
    item = state.files[file_no]
    resource_type = fhir_fast.expected_type(item.path) if item.kind == "ndjson" else None
    if resource_type is None:
        return False
    workdir = staging / "pieces"
    workdir.mkdir(exist_ok=True)
    with closing(ndjson_chunks.pieces(item.path, settings.lake_chunk_bytes, workdir)) as pieces:
        for piece in pieces:
            with piece.fed() as feed:
                count = fhir_fast.load_file(con, feed.path, resource_type)
            if count is not None and not feed.complete:
                con.execute("DROP TABLE raw")  # the engine stopped early: read it again
                count = None
            if count is None:
                first = piece.first_line()
                name = item.path.name
                with piece.open() as stream:
                    for batch in fhir_read.stream_batches(
                        stream, file_no, first, state.batch_bytes, name
                    ):
                        _ingest_batch(con, state, batch)
            else:
                _write_fast(con, state, file_no, resource_type, count)
            piece_done(piece.consumed)
    workdir.rmdir()
    return True


def _write_fast(
    con: duckdb.DuckDBPyConnection, state: _State, file_no: int, resource_type: str, count: int
) -> None:
    """Tables, removed strings and links of a piece parsed by `fhir_fast.load_file`."""
    state.seen_files.add(file_no)
    state.types[resource_type] += count
    for table in fhir.tables_for(resource_type):
        state.writers.write(table.table, fhir.table_rows(con, table, parsed=True))
    fields = fhir.removed_fields(resource_type)
    state.writers.write(REMOVED_PART, fhir.removed_rows(con, fields))
    state.writers.write(REMOVED_TEXT_PART, fhir.removed_text_rows(con, fields))
    if resource_type == "Patient":
        fhir.collect_links(con, state.linkage, parsed=True)
    con.execute("DROP TABLE raw")


def _ingest_batch(con: duckdb.DuckDBPyConnection, state: _State, batch: pa.Table) -> None:
    fhir.load_batch(con, batch)
    state.seen_files.update(
        int(r[0]) for r in con.execute("SELECT DISTINCT file_no FROM raw").fetchall()
    )
    counts = fhir.problem_counts(con)
    if counts:
        first = fhir.problem_rows(con, SKIPPED_RECORDS_KEPT)
        if state.on_error == "fail":
            raise _problem_error(state.files, batch, first[0])
        state.problems.update(counts)
        room = SKIPPED_RECORDS_KEPT - len(state.skipped)
        state.skipped.extend(
            {"input": f, "line": ln, "entry": e, "problem": p} for f, ln, e, p in first[:room]
        )
    batch_types = fhir.type_counts(con)
    state.types.update(batch_types)
    state.unlinked.update(fhir.unlinked_counts(con))
    for table in TABLES:
        if batch_types.get(table.resource_type):
            state.writers.write(table.table, fhir.table_rows(con, table))
    state.writers.write(REMOVED_PART, fhir.removed_rows(con))
    state.writers.write(REMOVED_TEXT_PART, fhir.removed_text_rows(con))
    if batch_types.get("Patient"):
        fhir.collect_links(con, state.linkage)
    if batch_types.get("Coverage"):
        fhir.collect_coverage_links(con, state.linkage)
    fhir.logical_persons(con)
