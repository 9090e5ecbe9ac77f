"""Table rules on tables computed here from generated microdata."""

from pathlib import Path

import numpy as np
import pyarrow as pa

from tre.sdc import SdcParams

from .helpers import cells_of, check, counts_by, rules, write_csv


def test_threshold_flags_exactly_the_small_cells(tmp_path: Path, microdata: pa.Table) -> None:
    rows, cols, counts = counts_by(microdata, "prefecture", "sex")
    path = write_csv(
        tmp_path / "t.csv", ["prefecture", *cols], [[r, *counts[i]] for i, r in enumerate(rows)]
    )
    expected = {
        (i, cols[j]) for i, j in zip(*np.nonzero((counts > 0) & (counts < 10)), strict=True)
    }
    assert expected, "the generated data must produce small cells"
    assert cells_of(check(path), "threshold") == expected


def test_threshold_boundary(tmp_path: Path) -> None:
    at = write_csv(tmp_path / "at.csv", ["group", "n"], [["a", 10], ["b", 25]])
    below = write_csv(tmp_path / "below.csv", ["group", "n"], [["a", 9], ["b", 25]])
    assert "threshold" not in rules(check(at))
    assert cells_of(check(below), "threshold") == {(0, "n")}
    assert "threshold" not in rules(check(below, SdcParams(threshold=9)))


def test_small_count_flags_the_means_on_its_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.tsv",
        ["group", "n", "mean_cost"],
        [["a", 4, 120.5], ["b", 40, 99.0]],
        sep="\t",
    )
    assert cells_of(check(path), "threshold") == {(0, "n"), (0, "mean_cost")}


def test_zeros_disclosive_sampling_or_structural(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "z.csv", ["group", "a", "b"], [["x", 0, 20], ["y", 30, 40]])
    assert rules(check(path))["zeros"] == "block"  # ACRO fails zeros: disclosive by default
    assert rules(check(path, SdcParams(zeros="sampling")))["zeros"] == "review"
    structural = check(path, SdcParams(zeros="structural"))
    assert rules(structural)["zeros"] == "info"
    assert structural.verdict == "pass"


def test_suppression_markers_are_not_counts(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", ["group", "a", "b"], [["x", "<10", 20], ["y", "*", 40]])
    assert check(path).verdict == "pass"


def test_means_without_counts_need_review(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", ["group", "mean_cost"], [["a", 10.5], ["b", 20.25]])
    assert rules(check(path))["contributors-unknown"] == "review"
    declared = write_csv(
        tmp_path / "d.csv", ["group", "x", "y"], [["a", 10.5, 3.5], ["b", 2.0, 1.0]]
    )
    assert rules(check(declared, stat="mean"))["contributors-unknown"] == "review"
    assert "threshold" not in rules(check(declared, stat="mean"))


def test_extremes_need_review(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "e.csv", ["group", "n", "max_cost"], [["a", 40, 9000], ["b", 50, 800]]
    )
    assert rules(check(path))["extremes"] == "review"


def test_regression_residual_df(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    header = ["term", "coef", "std err", "t", "P>|t|"]
    terms = [["const", 1.2, 0.3, 4.0, 0.001], ["age", 0.05, 0.01, 5.0, 0.0]]
    # Residual df from n and the number of terms: 11 - 2 = 9 < 10.
    small = write_csv(tmp_path / "r1.csv", header, [*terms, ["No. Observations", 11, "", "", ""]])
    assert rules(check(small))["regression-df"] == "block"
    large = write_csv(tmp_path / "r2.csv", header, [*terms, ["No. Observations", 12, "", "", ""]])
    assert "regression-df" not in rules(check(large))
    stated = write_csv(
        tmp_path / "r3.csv",
        ["statistic", "value"],
        [["Df Residuals:", 8], ["R-squared:", round(float(rng.random()), 3)]],
    )
    assert rules(check(stated))["regression-df"] == "block"
    unknown = write_csv(tmp_path / "r4.csv", header, terms)
    assert rules(check(unknown))["regression-df"] == "review"
