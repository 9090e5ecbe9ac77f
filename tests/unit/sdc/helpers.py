"""Helpers: tables computed with numpy, CSV writing, report inspection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from tre.sdc import CheckContext, FileReport, SdcParams, check_file

PREFECTURES = ["Hokkaido", "Tokyo", "Osaka", "Tottori"]


def counts_by(table: pa.Table, rows: str, cols: str) -> tuple[list[str], list[str], np.ndarray]:
    """A frequency table computed with numpy (independently of tre.sdc)."""
    r = np.asarray(table.column(rows).to_pylist())
    c = np.asarray(table.column(cols).to_pylist())
    row_levels, ri = np.unique(r, return_inverse=True)
    col_levels, ci = np.unique(c, return_inverse=True)
    out = np.zeros((len(row_levels), len(col_levels)), dtype=int)
    np.add.at(out, (ri, ci), 1)
    return list(row_levels), list(col_levels), out


def write_csv(path: Path, header: list[str], rows: list[list[object]], sep: str = ",") -> Path:
    lines = [sep.join(header)] + [sep.join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def check(path: Path, params: SdcParams | None = None, **context: object) -> FileReport:
    return check_file(path, params or SdcParams(), CheckContext(**context))  # type: ignore[arg-type]


def rules(report: FileReport) -> dict[str, str]:
    """rule -> most severe severity."""
    order = {"info": 0, "review": 1, "block": 2}
    out: dict[str, str] = {}
    for f in report.findings:
        if f.rule not in out or order[f.severity] > order[out[f.rule]]:
            out[f.rule] = f.severity
    return out


def cells_of(report: FileReport, rule: str) -> set[tuple[int, str]]:
    return {tuple(c) for f in report.findings if f.rule == rule for c in f.cells}  # type: ignore[misc]
