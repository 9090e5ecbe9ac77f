"""Showing a request file to a checker: a table with flagged cells marked, never raw HTML.

Tables are read by DuckDB as text (every value escaped by the template); each finding's
cells and columns are marked and linked to the finding's explanation. Only PNG and JPEG
are shown inline as images; SVG and HTML are shown as escaped source, never rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from tre.sdc.columns import column_index

MAX_ROWS = 500
INLINE_IMAGES = {"png": "image/png", "jpeg": "image/jpeg"}
MAX_SOURCE_BYTES = 256 * 1024


@dataclass
class TableView:
    columns: list[str]
    rows: list[list[str]]
    truncated: bool
    # (row, column index) -> finding numbers (1-based, as listed beside the table)
    flags: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    column_flags: dict[int, list[int]] = field(default_factory=dict)


def read_table(path: Path, kind: str) -> TableView | None:
    con = duckdb.connect()
    try:
        if kind == "parquet":
            source = "read_parquet(?)"
            args: list[Any] = [str(path)]
        else:
            source = "read_csv(?, all_varchar=true, header=true, delim=?, quote='\"')"
            args = [str(path), "\t" if kind == "tsv" else ","]
        rel = con.execute(f"SELECT * FROM {source} LIMIT {MAX_ROWS + 1}", args)
        columns = [d[0] for d in rel.description or []]
        rows = [["" if v is None else str(v) for v in row] for row in rel.fetchall()]
    except duckdb.Error:
        return None
    finally:
        con.close()
    return TableView(columns, rows[:MAX_ROWS], len(rows) > MAX_ROWS)


def mark_findings(view: TableView, findings: list[dict[str, Any]]) -> None:
    """Mark each finding's cells and columns; a finding names a column by its header, or by
    its position (`#3`) when the header is a record value (`tre.sdc.columns`)."""
    for number, finding in enumerate(findings, start=1):
        for row, column in finding.get("cells") or []:
            index = column_index(str(column), view.columns)
            if index is not None:
                view.flags.setdefault((int(row), index), []).append(number)
        for column in finding.get("columns") or []:
            index = column_index(str(column), view.columns)
            if index is not None:
                view.column_flags.setdefault(index, []).append(number)


def read_source(path: Path) -> str:
    with path.open("rb") as fh:
        data = fh.read(MAX_SOURCE_BYTES)
    return data.decode("utf-8", errors="replace")
