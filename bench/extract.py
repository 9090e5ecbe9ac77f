"""Benchmark: provisioning a project extract vs a raw DuckDB COPY of the same columns.

The lake (patient, condition, claim; >= 10 million rows by default: persons = rows/50, the
rest split between conditions and claims, three conditions per encounter) is generated once
as Parquet with DuckDB (reused from `--work DIR` if present) and is not timed.

Timed, alternately, `--repeat` times each, in the same process:

- provision: the data work of `tre project provision` (`tre.extract.builder.build_extract`
  plus the atomic publish): granted columns only; person ids and keyed ids (`encounter_id`)
  re-pseudonymised with HMAC-SHA256 under a project secret; one opted-out person removed
  from every table; per-table row and person counts; sha256 of every file; the catalogue
  (`catalog.duckdb`) and `manifest.json`; rename into place and switch of `current`.
  (No control database, policy or audit: those are small and not the data path.)
- baseline: for each granted table, one `COPY (SELECT <the granted columns> FROM lake file
  WHERE <person not null and not opted out>) TO ... (FORMAT parquet, COMPRESSION zstd)`,
  i.e. the same rows and columns written with the same Parquet settings (zstd, DuckDB's
  default row groups) and the same DuckDB settings (default threads = cores,
  `preserve_insertion_order = false`), with no pseudonymisation, hashes or catalogue.

Prints the medians of wall-clock time (the figure that counts), process CPU time (steadier
on a shared machine) and their ratios (target <= 1.3).

    python bench/extract.py [--rows 10000000] [--repeat 3] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import duckdb

from tre.config import load_settings
from tre.extract.builder import (
    PARQUET_OPTIONS,
    BuildSpec,
    SourceColumn,
    SourceDataset,
    build_extract,
)
from tre.extract.layout import TMP_PREFIX, builds_dir, new_build_id, project_lock, publish
from tre.lake.publish import PERSONS_FILE, write_persons

GRANT = {
    "bench.patient": ["person_id", "birth_year_month", "gender", "region"],
    "bench.condition": ["person_id", "encounter_id", "code", "onset"],
    "bench.claim": ["person_id", "total", "created"],
}


def make_lake(root: Path, rows: int) -> list[SourceDataset]:
    """A lake of about `rows` rows: persons = rows/50, conditions and claims ~ 49 % each."""
    persons = max(rows // 50, 100)
    per_table = (rows - persons) // 2
    snap = root / "snapshots" / "bench-1"
    snap.mkdir(parents=True, exist_ok=True)
    if not (snap / "claim.parquet").exists():
        con = duckdb.connect()
        # Lake pseudonyms: 64 hex digits, as the lake writes them (sha256 stands in for HMAC).
        con.execute(
            f"""COPY (SELECT sha256('p' || i) AS person_id,
                   printf('%04d-%02d', 1930 + i % 80, 1 + i % 12) AS birth_year_month,
                   ['female', 'male'][1 + i % 2] AS gender,
                   ['north', 'south', 'east', 'west', 'central'][1 + i % 5] AS region
                 FROM range({persons}) r(i)) TO '{snap}/patient.parquet' (FORMAT parquet)"""
        )
        con.execute(
            f"""COPY (SELECT sha256('c' || i) AS id,
                   sha256('p' || (hash(i) % {persons})) AS person_id,
                   sha256('e' || (i // 3)) AS encounter_id,
                   'C' || lpad((hash(i * 7) % 500)::VARCHAR, 3, '0') AS code,
                   DATE '2010-01-01' + (i % 5000)::INT AS onset
                 FROM range({per_table}) r(i)) TO '{snap}/condition.parquet' (FORMAT parquet)"""
        )
        con.execute(
            f"""COPY (SELECT sha256('k' || i) AS id,
                   sha256('p' || (hash(i + 1) % {persons})) AS person_id,
                   round((hash(i) % 100000) / 100.0, 2) AS total,
                   DATE '2010-01-01' + (i % 5000)::INT AS created
                 FROM range({per_table}) r(i)) TO '{snap}/claim.parquet' (FORMAT parquet)"""
        )
        con.close()
    persons_file = snap / PERSONS_FILE
    if not persons_file.exists():  # as `tre lake ingest` writes it, untimed like the tables
        with duckdb.connect() as con:
            tables = {t: snap / f"{t}.parquet" for t in ("patient", "condition", "claim")}
            write_persons(con, tables, persons_file)
    pid = SourceColumn("person_id", "VARCHAR", "Person", "person_id")
    attr = SourceColumn

    def dataset(table: str, columns: list[SourceColumn]) -> SourceDataset:
        return SourceDataset(
            f"bench.{table}",
            "bench",
            table,
            "bench-1",
            snap / f"{table}.parquet",
            columns,
            persons_file=persons_file,
        )

    return [
        dataset(
            "patient",
            [
                pid,
                attr("birth_year_month", "VARCHAR"),
                attr("gender", "VARCHAR"),
                attr("region", "VARCHAR"),
            ],
        ),
        dataset(
            "condition",
            [
                SourceColumn("id", "VARCHAR", "", "pseudonym"),
                pid,
                SourceColumn("encounter_id", "VARCHAR", "", "pseudonym"),
                attr("code", "VARCHAR"),
                attr("onset", "DATE"),
            ],
        ),
        dataset(
            "claim",
            [
                SourceColumn("id", "VARCHAR", "", "pseudonym"),
                pid,
                attr("total", "DOUBLE"),
                attr("created", "DATE"),
            ],
        ),
    ]


def lake_rows(lake: list[SourceDataset]) -> int:
    con = duckdb.connect()
    return sum(con.execute(f"SELECT count(*) FROM '{d.path}'").fetchall()[0][0] for d in lake)


def provision(home: Path, lake: list[SourceDataset], opted_out: set[str]) -> Path:
    """The data work of `tre project provision`: build aside, publish, switch `current`."""
    settings = load_settings(home=home)
    project = "p-1"
    with project_lock(settings, project):
        build_id = new_build_id()
        tmp = builds_dir(settings, project) / f"{TMP_PREFIX}{build_id}"
        spec = BuildSpec(project, lake, GRANT, b"\x07" * 32, opted_out=opted_out, build_id=build_id)
        build_extract(spec, tmp)
        return publish(settings, project, tmp, build_id)


def raw_copy(out: Path, lake: list[SourceDataset], opted_out: set[str]) -> None:
    """The baseline: the same columns and rows, plain COPY (see module doc)."""
    out.mkdir(parents=True)
    con = duckdb.connect(config={"preserve_insertion_order": False})
    con.execute("CREATE TEMP TABLE opted (pid VARCHAR)")
    con.executemany("INSERT INTO opted VALUES (?)", [[p] for p in sorted(opted_out)])
    for d in lake:
        cols = ", ".join(GRANT[d.name])
        con.execute(
            f"COPY (SELECT {cols} FROM '{d.path}' WHERE person_id IS NOT NULL "
            f"AND person_id NOT IN (SELECT pid FROM opted)) TO '{out}/{d.name}.parquet' "
            f"({PARQUET_OPTIONS})"
        ).fetchall()
    con.close()


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, process CPU seconds over all threads) of one call; dirty pages are
    flushed first, so no run pays for writing back the previous one's output."""
    os.sync()
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="tre-bench-extract-"))
    lake = make_lake(work / "lake", args.rows)
    total = lake_rows(lake)
    opted = {str(duckdb.execute("SELECT sha256('p' || 3)").fetchall()[0][0])}
    ours: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    for i in range(args.repeat):
        home, raw = work / f"home-{i}", work / f"raw-{i}"
        ours.append(timed(partial(provision, home, lake, opted)))
        base.append(timed(partial(raw_copy, raw, lake, opted)))
        shutil.rmtree(home)
        shutil.rmtree(raw)
    wall_ours, wall_base = (statistics.median(t[0] for t in r) for r in (ours, base))
    cpu_ours, cpu_base = (statistics.median(t[1] for t in r) for r in (ours, base))
    print(f"lake rows: {total:,}")
    print(f"provision (median of {args.repeat}): {wall_ours:.2f} s (CPU {cpu_ours:.2f} s)")
    print(f"raw DuckDB COPY of the same columns: {wall_base:.2f} s (CPU {cpu_base:.2f} s)")
    print(
        f"ratio: {wall_ours / wall_base:.2f} (target <= 1.3); CPU ratio {cpu_ours / cpu_base:.2f}"
    )
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
