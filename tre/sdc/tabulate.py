"""Tables computed the same way in the workspace (`tre.client`) and at verification.

`crosstab` runs over a SELECT on a DuckDB connection and returns the published wide table
(index columns, then one column per level of `columns`) together with the contributor
statistics per cell (`tre.sdc.microdata.cell_statistics`). Sharing this code is what makes a
figure re-computable: the verifier calls the very same function on the extract.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tre.sdc.microdata import cell_statistics, fetch_arrow

SIDECAR_VERSION = 1


def crosstab(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    index: Sequence[str],
    columns: str,
    values: str | None = None,
    aggfunc: str = "count",
    unit: str | None = None,
    nk_n: int = 2,
) -> tuple[pa.Table, pa.Table]:
    """(wide table, per-cell statistics) of `aggfunc` of `values` by `index` x `columns`."""
    by = [*index, columns]
    stats = cell_statistics(con, f"({sql})", by, values, unit, aggfunc, nk_n)
    return pivot(stats, list(index), columns, aggfunc), stats


def pivot(stats: pa.Table, index: list[str], columns: str, aggfunc: str) -> pa.Table:
    """Wide layout of `stats.stat_value`: one row per index combination, levels as columns."""
    figure = stats.column("stat_value")
    if aggfunc == "count":
        figure = pc.cast(pc.fill_null(figure, 0), pa.int64())
    levels = pc.unique(pc.fill_null(stats.column(columns), "")).to_pylist()
    if index:
        parts = [pc.fill_null(stats.column(c), "") for c in index]
        row_key = pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]
    else:
        row_key = pa.array([""] * stats.num_rows, pa.string())
    row_levels = pc.unique(row_key)
    row_of = pc.index_in(row_key, value_set=row_levels).to_numpy()
    col_of = pc.index_in(
        pc.fill_null(stats.column(columns), ""), value_set=pa.array(levels)
    ).to_numpy()
    first = np.full(len(row_levels), -1)
    first[row_of[::-1]] = np.arange(stats.num_rows)[::-1]  # first statistics row of each row key
    out: dict[str, pa.Array] = {c: pc.take(stats.column(c), pa.array(first)) for c in index}
    dense = np.full((len(row_levels), len(levels)), -1)
    dense[row_of, col_of] = np.arange(stats.num_rows)
    for j, level in enumerate(levels):
        name = str(level) if str(level) not in out else f"{columns}={level}"
        out[name] = pc.take(figure, pa.array(dense[:, j], mask=dense[:, j] < 0))
    return pa.table(out)


def result_table(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """The result of a SELECT as Arrow."""
    return fetch_arrow(con, sql)


def csv_bytes(table: pa.Table) -> bytes:
    """CSV as the client writes it (header, comma-separated, quoted strings, UTF-8)."""
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=True))
    return sink.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Write aside, then rename into place: readers never see half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stats_to_json(stats: pa.Table) -> dict[str, list[object]]:
    """Contributor statistics as columns of JSON values (NaN as null)."""
    out: dict[str, list[object]] = {}
    for name in stats.column_names:
        column = stats.column(name)
        if pa.types.is_floating(column.type):
            column = pc.if_else(pc.is_nan(column), None, column)
        out[name] = column.to_pylist()
    return out


def stats_from_json(data: dict[str, list[object]]) -> pa.Table:
    return pa.table({k: pa.array(v) for k, v in data.items()})
