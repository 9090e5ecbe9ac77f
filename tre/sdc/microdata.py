"""Contributor-level statistics per cell, computed from microdata in DuckDB.

For each cell of a table `by` the grouping columns: the number of records, the number of
distinct units (people) when the unit is known, and the total, largest contributions and
negatives of the value, where each unit's contribution is its sum within the cell (14 claims
from 2 patients are 2 contributors). The cross product of the groups' observed levels is
included so empty cells are reported, as a cross-tabulation shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from tre.sdc._i18n import _
from tre.sdc.findings import Finding
from tre.sdc.params import SdcParams
from tre.sql import identifier

STATS = ("count", "sum", "mean", "median", "max", "min")


def cell_statistics(
    con: duckdb.DuckDBPyConnection,
    source: str,
    by: Sequence[str],
    value: str | None = None,
    unit: str | None = None,
    stat: str = "count",
    nk_n: int = 2,
) -> pa.Table:
    """One row per cell: `by` columns (as text), `stat_value`, `n_records`, `n_units`,
    `total`, `top1`, `top2`, `top_n` (sum of the `nk_n` largest), `n_negative`, and the two
    smallest contributions `bottom1`, `bottom2` (for minima and for cells whose contributors
    all give one value).

    `source` is a relation name or parenthesised query already valid on `con`.
    """
    keys = [identifier(b) for b in by]
    key_list = ", ".join(keys)
    val = identifier(value) if value else "1"
    stat_sql = {
        "count": f"count(DISTINCT {identifier(unit)})" if unit else "count(*)",
        "sum": "sum(__v)",
        "mean": "avg(__v)",
        "median": "median(__v)",
        "max": "max(__v)",
        "min": "min(__v)",
    }[stat]
    k = max(int(nk_n), 2)
    # The second smallest contribution matters only for a minimum (a list aggregate costs).
    bottom = (
        "min({v}) AS bottom1, (min({v}, 2))[2] AS bottom2"
        if stat == "min"
        else "min({v}) AS bottom1, NULL AS bottom2"
    )
    # Levels seen in any cell are the levels in the data: no second scan of the source.
    grid = " CROSS JOIN ".join(f"(SELECT DISTINCT {c} FROM cells)" for c in keys)
    if unit:
        # Each unit's contribution is its sum within the cell.
        cells_sql = f"""
        per_unit AS (
            SELECT {key_list}, {identifier(unit)} AS __u, sum(__v) AS __c FROM src GROUP BY ALL),
        contrib AS (
            SELECT {key_list}, sum(__c) AS total, max(__c, {k}) AS top, count(*) AS n_units,
                   count(*) FILTER (WHERE __c < 0) AS n_negative, {bottom.format(v="__c")}
            FROM per_unit GROUP BY ALL),
        figures AS (
            SELECT {key_list}, {stat_sql} AS stat_value, count(*) AS n_records
            FROM src GROUP BY ALL),
        cells AS (SELECT * FROM figures JOIN contrib USING ({key_list}))"""
        select_src = f"SELECT {key_list}, {val} AS __v, {identifier(unit)} FROM {source}"
    else:
        cells_sql = f"""
        cells AS (
            SELECT {key_list}, {stat_sql} AS stat_value, count(*) AS n_records,
                   count(*) AS n_units, sum(__v) AS total, max(__v, {k}) AS top,
                   count(*) FILTER (WHERE __v < 0) AS n_negative, {bottom.format(v="__v")}
            FROM src GROUP BY ALL)"""
        select_src = f"SELECT {key_list}, {val} AS __v FROM {source}"
    sql = f"""
    WITH src AS ({select_src}),
    {cells_sql},
    grid AS (SELECT * FROM {grid})
    SELECT {", ".join(f"CAST(grid.{c} AS VARCHAR) AS {c}" for c in keys)},
           cells.stat_value::DOUBLE AS stat_value,
           coalesce(cells.n_records, 0) AS n_records,
           coalesce(cells.n_units, 0) AS n_units,
           cells.total::DOUBLE AS total,
           cells.top[1]::DOUBLE AS top1,
           coalesce(cells.top[2], 0)::DOUBLE AS top2,
           coalesce(list_sum(cells.top[1:{int(nk_n)}]), 0)::DOUBLE AS top_n,
           coalesce(cells.n_negative, 0) AS n_negative,
           cells.bottom1::DOUBLE AS bottom1,
           coalesce(cells.bottom2, cells.bottom1)::DOUBLE AS bottom2
    FROM grid LEFT JOIN cells USING ({key_list})
    ORDER BY ALL
    """
    return fetch_arrow(con, sql)


def fetch_arrow(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> pa.Table:
    """The result of `sql` as an Arrow table (one spelling across DuckDB versions)."""
    relation: Any = con.sql(sql, params=params)
    if hasattr(relation, "to_arrow_table"):
        return relation.to_arrow_table()
    return relation.fetch_arrow_table()  # pragma: no cover - older DuckDB


def cell_flags(stats: pa.Table, params: SdcParams, stat: str) -> dict[str, np.ndarray]:
    """Boolean masks per rule over the rows of `cell_statistics`, as ACRO 1.0.2 defines them:
    threshold n < t; NK top-n share >= k; p-ratio (total - top1 - top2) / top1 < p;
    dominance is for sums and means of non-negative contributions."""
    n = stats.column("n_units").to_numpy()
    flags = {
        "threshold": (n > 0) & (n < params.threshold),
        "zeros": n == 0,
    }
    if stat in ("sum", "mean", "median"):
        total = _np(stats, "total")
        top1 = _np(stats, "top1")
        top2 = _np(stats, "top2")
        top_n = _np(stats, "top_n")
        negative = stats.column("n_negative").to_numpy() > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, top_n / total, 0.0)
            rest = total - top1 - top2
            p_val = np.where(top1 == 0, rest, rest / top1)
        p_val = np.where(np.isnan(p_val), 1.0, p_val)
        flags["nk-dominance"] = (share >= params.nk_k) & ~negative & (n > 0)
        flags["p-ratio"] = (p_val < params.p_ratio) & ~negative & (n > 0)
        flags["negative-values"] = negative
    if stat in MAGNITUDES and "bottom1" in stats.column_names:
        top1, bottom1, bottom2 = _np(stats, "top1"), _np(stats, "bottom1"), _np(stats, "bottom2")
        flags["same-value"] = (n >= 2) & (bottom1 == top1)
        if stat == "max":
            flags["single-extreme"] = (n > 0) & (top1 > _np(stats, "top2"))
        elif stat == "min":
            flags["single-extreme"] = (n > 0) & ((bottom1 < bottom2) | (n == 1))
    return flags


MAGNITUDES = ("sum", "mean", "median", "max", "min")


def _np(stats: pa.Table, name: str) -> np.ndarray:
    return np.asarray(stats.column(name).to_numpy(zero_copy_only=False), dtype=float)


MESSAGES = {
    "threshold": (
        "block",
        (
            "{n} cells have fewer than {t} contributors (counting people, not records where the "
            "unit is known)."
        ),
    ),
    "zeros": (
        "review",
        (
            "{n} cells have no contributors; an empty cell can reveal that nobody in a group has "
            "a trait."
        ),
    ),
    "nk-dominance": (
        "block",
        (
            "In {n} cells the largest {k} contributors make up at least {pct}% of the total: "
            "they could be estimated."
        ),
    ),
    "p-ratio": (
        "block",
        (
            "In {n} cells the others contribute less than {p}% of the largest contributor (p% "
            "rule): the largest could be estimated."
        ),
    ),
    "same-value": (
        "block",
        (
            "In {n} cells every contributor has the same value: publishing the figure tells "
            "each of them their value."
        ),
    ),
    "single-extreme": (
        "block",
        (
            "{n} cells show a maximum or minimum that only one contributor has: it is that "
            "person's value."
        ),
    ),
    "negative-values": (
        "review",
        (
            "{n} cells contain negative contributions, where dominance rules are undefined; "
            "check them by hand."
        ),
    ),
}


def findings_from_flags(
    flags: dict[str, np.ndarray], pairs: dict[str, np.ndarray], params: SdcParams
) -> list[Finding]:
    """Findings from per-cell flags; `pairs` maps statistics rows (`i`) to file cells
    (`row`, `column`)."""
    findings = []
    index = np.asarray(pairs["i"], dtype=np.int64)
    rows = np.asarray(pairs["row"], dtype=np.int64)
    columns = np.asarray(pairs["column"], dtype=object)
    for rule, mask in flags.items():
        n_hit = int(np.count_nonzero(mask))
        if n_hit == 0:
            continue
        severity, text = MESSAGES[rule]
        if rule == "zeros":
            severity = params.zeros_severity
        elif rule == "negative-values":
            severity = params.unchecked
        on_file = mask[index] if len(index) else np.zeros(0, dtype=bool)
        located = list(zip(rows[on_file].tolist(), columns[on_file].tolist(), strict=True))
        findings.append(
            Finding(
                rule,
                severity,  # type: ignore[arg-type]
                _(text).format(
                    n=n_hit,
                    t=params.threshold,
                    k=params.nk_n,
                    pct=round(params.nk_k * 100, 2),
                    p=round(params.p_ratio * 100, 2),
                ),
                columns=sorted(set(columns[on_file].tolist())),
                cells=located,
            )
        )
    return findings
