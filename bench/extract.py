"""Benchmark: provisioning a project extract vs a raw DuckDB COPY of the same columns.

The lake (patient, condition, claim; >= 10 million rows by default) is generated directly as
Parquet with DuckDB. Provisioning runs the real builder (granted columns only, per-project
HMAC of person ids and keyed ids, opt-out removal, hashes, catalogue, manifest) and the atomic
publish; the baseline copies the same columns of the same tables with
`COPY (SELECT ...) TO ... (FORMAT parquet)` in the same process. Prints both times and
their ratio (target <= 1.3).

    python bench/extract.py [--rows 10000000] [--work DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from tre.config import load_settings
from tre.extract.builder import BuildSpec, SourceColumn, SourceDataset, build_extract
from tre.extract.layout import TMP_PREFIX, builds_dir, new_build_id, project_lock, publish

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
    pid = SourceColumn("person_id", "VARCHAR", "Person", "person_id")
    attr = SourceColumn

    def dataset(table: str, columns: list[SourceColumn]) -> SourceDataset:
        return SourceDataset(
            f"bench.{table}", "bench", table, "bench-1", snap / f"{table}.parquet", columns
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


def raw_copy(out: Path, lake: list[SourceDataset]) -> None:
    out.mkdir(parents=True)
    con = duckdb.connect()
    for d in lake:
        cols = ", ".join(GRANT[d.name])
        con.execute(
            f"COPY (SELECT {cols} FROM '{d.path}') TO '{out}/{d.name}.parquet' "
            "(FORMAT parquet, COMPRESSION zstd)"
        ).fetchall()
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="tre-bench-extract-"))
    lake = make_lake(work / "lake", args.rows)
    total = lake_rows(lake)
    opted = {duckdb.sql("SELECT sha256('p' || 3)").fetchall()[0][0]}
    ours, base = [], []
    for i in range(args.repeat):
        home = work / f"home-{i}"
        start = time.perf_counter()
        provision(home, lake, opted)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        raw_copy(work / f"raw-{i}", lake)
        base.append(time.perf_counter() - start)
        shutil.rmtree(home)
        shutil.rmtree(work / f"raw-{i}")
    t_ours, t_base = statistics.median(ours), statistics.median(base)
    print(f"lake rows: {total:,}")
    print(f"provision (median of {args.repeat}): {t_ours:.2f} s")
    print(f"raw DuckDB COPY of the same columns: {t_base:.2f} s")
    print(f"ratio: {t_ours / t_base:.2f} (target <= 1.3)")
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
