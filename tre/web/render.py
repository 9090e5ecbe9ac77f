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
    # (row, column position in the file) -> finding numbers (1-based, as listed beside the
    # table); by position, because a finding names a column whose header is a record value
    # by its position (`tre.sdc.columns`)
    flags: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    column_flags: dict[int, list[int]] = field(default_factory=dict)
    contributors: dict[tuple[int, int], int] = field(default_factory=dict)
    all_columns: list[str] = field(default_factory=list)  # before any were hidden
    numbers: list[int] = field(default_factory=list)  # each shown row's number in the file
    positions: list[int] = field(default_factory=list)  # each shown column's position

    def narrowed(self, hidden: set[str], flagged_only: bool) -> TableView:
        """The view without the `hidden` columns and, with `flagged_only`, only the rows
        holding a flagged cell (each row and column keeps its position in the file)."""
        keep = [i for i, c in enumerate(self.columns) if c not in hidden]
        rows = [
            (n, row)
            for n, row in enumerate(self.rows)
            if not flagged_only or any((n, i) in self.flags for i in range(len(self.columns)))
        ]
        return TableView(
            columns=[self.columns[i] for i in keep],
            rows=[[row[i] for i in keep] for _n, row in rows],
            truncated=self.truncated,
            flags=self.flags,
            column_flags=self.column_flags,
            contributors=self.contributors,
            all_columns=list(self.columns),
            numbers=[n for n, _row in rows],
            positions=keep,
        )


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
    return TableView(
        columns,
        rows[:MAX_ROWS],
        len(rows) > MAX_ROWS,
        all_columns=list(columns),
        numbers=list(range(min(len(rows), MAX_ROWS))),
        positions=list(range(len(columns))),
    )


@dataclass(frozen=True)
class TableSummary:
    """What a checker reads first about a table of counts: its size, its smallest non-zero
    count, the share of counted cells under the threshold and the base counts look rounded
    to (0: not rounded). Counts are the cells holding a whole number."""

    rows: int
    columns: int
    counts: int
    smallest: int | None
    below: float | None
    rounded_to: int


def summarise(view: TableView, threshold: int) -> TableSummary:
    counts = [int(v) for row in view.rows for v in row if v.strip().lstrip("-").isdigit()]
    nonzero = [abs(c) for c in counts if c != 0]
    below = sum(1 for c in nonzero if c < threshold) / len(nonzero) if nonzero else None
    base = next((b for b in (10, 5) if nonzero and all(c % b == 0 for c in nonzero)), 0)
    return TableSummary(
        len(view.rows), len(view.columns), len(counts), min(nonzero, default=None), below, base
    )


def contributors(view: TableView, parameters: dict[str, Any], stats: dict[str, list[Any]]) -> None:
    """Each cell's number of contributors (people, or records without a unit) from a
    cross-tabulation's sidecar, keyed like `flags`: the row is found by its index values,
    the column by its level of the tabulation's `columns`."""
    index = [str(c) for c in parameters.get("index") or []]
    across = parameters.get("columns")
    counts = stats.get("n_units") or stats.get("n_records")
    if not index or not isinstance(across, str) or not counts or across not in stats:
        return
    if any(c not in stats or c not in view.columns for c in index):
        return
    cell_of = {
        (tuple("" if stats[c][i] is None else str(stats[c][i]) for c in index),
         "" if stats[across][i] is None else str(stats[across][i])): counts[i]
        for i in range(len(counts))
    }  # fmt: skip
    positions = [view.columns.index(c) for c in index]
    for n, row in enumerate(view.rows):
        key = tuple(row[p] for p in positions)
        for position, column in enumerate(view.columns):
            found = cell_of.get((key, column))
            if found is not None:
                view.contributors[(n, position)] = int(found)


@dataclass
class Comparison:
    """An earlier release of a table beside the one under review: its cells, with those
    that differ from the reviewed table marked (rows matched by their first column's
    label, columns by name; a row or column the other table lacks differs throughout)."""

    release: dict[str, Any]
    view: TableView
    differs: set[tuple[int, str]]


def compare(current: TableView, earlier: TableView, release: dict[str, Any]) -> Comparison:
    key = current.columns[0] if current.columns else None
    rows_now: dict[str, list[str]] = {}
    if key is not None:
        rows_now = {row[0]: row for row in current.rows}
    differs: set[tuple[int, str]] = set()
    for n, row in enumerate(earlier.rows):
        now = rows_now.get(row[0]) if row else None
        for i, column in enumerate(earlier.columns):
            if (
                now is None
                or column not in current.columns
                or now[current.columns.index(column)] != row[i]
            ):
                differs.add((n, column))
    return Comparison(release, earlier, differs)


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
