"""One definition of a spreadsheet formula: the airlock's intake and the disclosure checks
flag exactly the same cells, so a table cannot pass one and fail the other."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from tre.airlock.filetypes import formula_cells
from tre.sdc.formulas import formula_mask

from .helpers import check

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "@SUM(A1:A2)",
    "@",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd",
    "\t=1+1",
    "\tplain text after a tab",
    "\r=1",
    "-5%x",
    "+",  # a lone sign is plain
]
PLAIN = ["-5", "+81", "-0.25", "-.5", "+1.5e3", "-1,234", "-12%", "-", "--", "a=b", " =1", ""]


@pytest.mark.parametrize("value", FORMULAS[:-1])
def test_formulas(value: str) -> None:
    assert formula_mask(pa.array([value])).to_pylist() == [True]


@pytest.mark.parametrize("value", [*PLAIN, FORMULAS[-1]])
def test_plain_values(value: str) -> None:
    assert formula_mask(pa.array([value])).to_pylist() == [False]


def test_nulls_are_not_formulas() -> None:
    assert formula_mask(pa.array([None, "=1"], pa.string())).to_pylist() == [False, True]


def _table(path: Path, cells: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["group", "note", "n"])
        writer.writerows([[f"g{i}", cell, 20 + i] for i, cell in enumerate(cells)])
    return path


@pytest.mark.parametrize("cells", [FORMULAS + PLAIN, PLAIN, ["\tx", "-5%x", "@"]])
def test_intake_and_checks_flag_the_same_cells(tmp_path: Path, cells: list[str]) -> None:
    path = _table(tmp_path / "t.csv", cells)
    expected = sum(formula_mask(pa.array(cells)).to_pylist())
    found = [f for f in check(path).findings if f.rule == "formula-injection"]
    assert formula_cells(path, "csv") == expected
    assert sum(len(f.cells) + len(f.columns) for f in found) == expected
    assert not found or found[0].severity == "block"


def test_a_formula_header_is_flagged_by_both(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("group\t@cmd\na\t12\nb\t15\n", encoding="utf-8")
    assert formula_cells(path, "tsv") == 1
    assert [f.rule for f in check(path).findings if f.severity == "block"] == ["formula-injection"]
