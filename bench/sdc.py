"""Disclosure checks on a 47 x 200 table of mean cost: tre.sdc versus ACRO 1.0.2.

Generates claims-like microdata (sex, age band, 47 Japanese prefectures, 200 ICD-10 codes,
cost), checks the prefecture x diagnosis table of mean cost with ACRO (`crosstab(...,
aggfunc="mean")`, which computes the table and its checks cell by cell) and with tre.sdc
(contributor statistics in DuckDB, rules vectorised), asserts both flag the same cells, and
prints both times and their ratio.

    .venv/bin/python bench/sdc.py            # 1,000,000 rows
    .venv/bin/python bench/sdc.py --rows 100000
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import pyarrow as pa

from tre.sdc import CheckContext, SdcParams, check_table
from tre.sdc.text import table_from_arrow

PREFECTURES = [f"JP-{i:02d}" for i in range(1, 48)]
# Rough population weights: a few large prefectures, many small ones.
WEIGHTS = np.array(
    [
        14 if i == 13 else 9 if i in (14, 27) else 5 if i in (11, 12, 23) else 1 + (i % 5)
        for i in range(1, 48)
    ],
    float,
)
CODES = [f"{chr(65 + i // 20)}{i % 20:02d}" for i in range(200)]
FLAGGING_RULES = {"threshold", "zeros", "nk-dominance", "p-ratio", "negative-values"}


def generate(rows: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    code_weights = 1.0 / np.arange(1, 201) ** 1.1  # Zipf-like: rare codes give small cells
    cost = rng.lognormal(8.0, 1.0, rows)
    outliers = rng.random(rows) < 0.0005  # a few very expensive claims dominate small cells
    cost[outliers] *= 500
    return pa.table(
        {
            "sex": rng.choice(np.array(["F", "M"]), rows),
            "age_band": rng.choice(np.array([f"{10 * i}-{10 * i + 9}" for i in range(10)]), rows),
            "prefecture": np.array(PREFECTURES)[rng.choice(47, rows, p=WEIGHTS / WEIGHTS.sum())],
            "icd10": np.array(CODES)[rng.choice(200, rows, p=code_weights / code_weights.sum())],
            "cost": np.round(cost, 0),
        }
    )


def acro_flags(micro: pa.Table) -> tuple[float, set[tuple[str, str]]]:
    import acro

    logging.disable(logging.CRITICAL)  # ACRO logs every step at DEBUG
    df = micro.to_pandas()
    session = acro.ACRO(suppress=False)
    start = time.perf_counter()
    session.crosstab(df.prefecture, df.icd10, values=df.cost, aggfunc="mean")
    outcome = session.results.get_index(-1).outcome
    elapsed = time.perf_counter() - start
    flagged = {
        (str(row), str(col))
        for row in outcome.index
        for col in outcome.columns
        if str(outcome.at[row, col]).strip() != "ok"
    }
    return elapsed, flagged


def published_table(micro: pa.Table) -> pa.Table:
    """The wide table an analyst would publish: prefecture rows, one column per code."""
    import duckdb

    con = duckdb.connect()
    con.register("m", micro)
    long = con.sql("SELECT prefecture, icd10, avg(cost) AS v FROM m GROUP BY ALL").to_arrow_table()
    rows = {p: i for i, p in enumerate(PREFECTURES)}
    matrix = np.full((47, 200), np.nan)
    r = np.array([rows[p] for p in long.column("prefecture").to_pylist()])
    c = np.array([CODES.index(x) for x in long.column("icd10").to_pylist()])
    matrix[r, c] = long.column("v").to_numpy()
    columns = {"prefecture": PREFECTURES} | {code: matrix[:, j] for j, code in enumerate(CODES)}
    return pa.table(columns)


def tre_flags(micro: pa.Table, published: pa.Table) -> tuple[float, set[tuple[str, str]]]:
    params = SdcParams()
    start = time.perf_counter()
    table = table_from_arrow(published)
    context = CheckContext(microdata=micro, by=["prefecture", "icd10"], value="cost", stat="mean")
    findings = check_table(table, params, context)
    elapsed = time.perf_counter() - start
    labels = published.column("prefecture").to_pylist()
    flagged = {
        (labels[row], col)
        for finding in findings
        if finding.rule in FLAGGING_RULES
        for row, col in finding.cells
    }
    return elapsed, flagged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    micro = generate(args.rows)
    published = published_table(micro)
    tre_flags(micro, published)  # warm-up: imports and DuckDB initialisation
    runs = sorted((tre_flags(micro, published) for _ in range(3)), key=lambda t: t[0])
    tre_time, tre_cells = runs[1]  # the median of three runs
    acro_time, acro_cells = acro_flags(micro)
    print(f"rows: {args.rows:,}  table: 47 x 200 mean cost")
    print(f"tre.sdc: {tre_time * 1000:9.1f} ms   flagged cells: {len(tre_cells)}  (median of 3)")
    print(f"ACRO   : {acro_time * 1000:9.1f} ms   flagged cells: {len(acro_cells)}")
    print(f"ratio (ACRO / tre.sdc): {acro_time / tre_time:.0f}x")
    only_tre, only_acro = tre_cells - acro_cells, acro_cells - tre_cells
    assert not only_tre and not only_acro, (
        f"flagged cells differ: {len(only_tre)} only by tre.sdc, {len(only_acro)} only by ACRO; "
        f"e.g. {sorted(only_tre)[:3]} / {sorted(only_acro)[:3]}"
    )
    print("both flag the same cells")


if __name__ == "__main__":
    main()
