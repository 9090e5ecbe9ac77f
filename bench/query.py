"""Benchmark: a cohort query through `tre.client.connect()` vs raw DuckDB on the same Parquet.

Builds an extract from a generated lake (see bench/extract.py), then runs the same query,
patient x condition x claim joined on person, grouped by region and age band, once through
the extract's catalogue (views, opened by `client.connect()`) and once with raw DuckDB over
the extract's Parquet files. Prints the median times and their ratio (target <= 1.05).

    python bench/query.py [--rows 10000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
from extract import make_lake, provision

from tre import client

QUERY = """
SELECT p.region,
       (2024 - CAST(substr(p.birth_year_month, 1, 4) AS INTEGER)) // 20 * 20 AS age_band,
       count(DISTINCT p.person_id) AS persons,
       count(*) AS rows,
       round(sum(k.total), 0) AS claimed
FROM {patient} p
JOIN {condition} c ON c.person_id = p.person_id
JOIN {claim} k ON k.person_id = p.person_id AND k.created >= c.onset
WHERE c.code < 'C100'
GROUP BY ALL ORDER BY ALL
"""


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, list[tuple[object, ...]]]:
    start = time.perf_counter()
    rows = con.execute(sql).fetchall()
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="tre-bench-query-"))
    lake = make_lake(work / "lake", args.rows)
    extract = provision(work / "home", lake, set())
    views = QUERY.format(patient="bench.patient", condition="bench.condition", claim="bench.claim")
    raw = QUERY.format(
        **{
            t: f"read_parquet('{extract}/data/bench.{t}.parquet')"
            for t in ("patient", "condition", "claim")
        }
    )
    ours, base = [], []
    for _ in range(args.repeat):  # interleaved, so drift affects both alike
        start = time.perf_counter()
        con = client.connect(extract)
        _took, got = timed(con, views)
        ours.append(time.perf_counter() - start)
        con.close()
        start = time.perf_counter()
        con = duckdb.connect()
        _took, want = timed(con, raw)
        base.append(time.perf_counter() - start)
        con.close()
        assert got == want
    t_ours, t_base = statistics.median(ours), statistics.median(base)
    manifest = json.loads((extract / "manifest.json").read_text())
    print(f"extract rows: {sum(t['rows'] for t in manifest['tables']):,}")
    print(f"client.connect() + query (median of {args.repeat}): {t_ours:.3f} s")
    print(f"raw DuckDB over the same Parquet: {t_base:.3f} s")
    print(f"ratio: {t_ours / t_base:.3f} (target <= 1.05)")
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
