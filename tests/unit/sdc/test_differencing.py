"""Secondary disclosure: recovery by subtraction within a table and across releases."""

from pathlib import Path

import pyarrow as pa

from .helpers import cells_of, check, counts_by, rules, write_csv


def _table_with_totals(micro: pa.Table) -> tuple[list[str], list[str], list[list[object]]]:
    rows, cols, counts = counts_by(micro, "prefecture", "sex")
    body = [[r, *counts[i], int(counts[i].sum())] for i, r in enumerate(rows)]
    body.append(["Total", *counts.sum(axis=0), int(counts.sum())])
    return rows, cols, body


def test_one_suppressed_cell_with_a_row_total_is_recoverable(
    tmp_path: Path, microdata: pa.Table
) -> None:
    _rows, cols, body = _table_with_totals(microdata)
    big = [r for r in body if min(r[1:]) >= 10]
    big[0][1] = "*"  # one suppressed cell in the row and in its column
    big.append(["Total", *[sum(r[j] for r in big[1:]) + 0 for j in (1, 2)], 0])
    big = big[:-1]
    path = write_csv(tmp_path / "t.csv", ["prefecture", *cols, "Total"], big)
    assert (0, cols[0]) in cells_of(check(path), "differencing-total")


def test_two_suppressed_cells_are_not_recoverable_by_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        ["group", "a", "b", "c", "Total"],
        [["x", "*", "*", 50, 70], ["y", 30, 40, 50, 120]],
    )
    assert "differencing-total" not in rules(check(path))


def test_total_row_recovers_a_column_cell(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv", ["group", "n"], [["a", 40], ["b", "<10"], ["c", 55], ["Total", 101]]
    )
    assert cells_of(check(path), "differencing-total") == {(1, "n")}


def test_subtotals_within_groups(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        ["region", "sex", "n"],
        [
            ["A", "F", 40],
            ["A", "M", "*"],
            ["A", "Total", 47],
            ["B", "F", 30],
            ["B", "M", 35],
            ["B", "Total", 65],
        ],
    )
    assert cells_of(check(path), "differencing-total") == {(1, "n")}


def test_omitted_small_group_revealed_by_total(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["group", "n"], [["a", 40], ["c", 55], ["Total", 98]])
    assert rules(check(path))["differencing-omitted"] == "block"
    fine = write_csv(tmp_path / "f.csv", ["group", "n"], [["a", 40], ["c", 55], ["Total", 120]])
    assert "differencing-omitted" not in rules(check(fine))


def test_earlier_release_differencing(tmp_path: Path, microdata: pa.Table) -> None:
    rows, cols, counts = counts_by(microdata, "prefecture", "sex")
    earlier = write_csv(
        tmp_path / "r1.csv", ["prefecture", *cols], [[r, *counts[i]] for i, r in enumerate(rows)]
    )
    # The same table a little later: one cell grew by 3 people.
    later_counts = counts.copy()
    big = [(i, j) for i in range(len(rows)) for j in range(len(cols)) if counts[i, j] >= 10]
    i, j = big[0]
    later_counts[i, j] += 3
    later = write_csv(
        tmp_path / "r2.csv",
        ["prefecture", *cols],
        [[r, *later_counts[k]] for k, r in enumerate(rows)],
    )
    assert cells_of(check(later, earlier_releases=[earlier]), "differencing-release") == {
        (i, cols[j])
    }
    assert "differencing-release" not in rules(check(later))
    # A cell suppressed now but published before.
    suppressed = [[r, *counts[k]] for k, r in enumerate(rows)]
    suppressed[i][1 + j] = "*"
    now = write_csv(tmp_path / "r3.csv", ["prefecture", *cols], suppressed)
    assert (i, cols[j]) in cells_of(check(now, earlier_releases=[earlier]), "differencing-release")


def test_suppressed_mean_recovered_from_the_totals_mean(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        ["region", "n", "mean_cost"],
        [["A", 120, 5100.0], ["B", 12, "*"], ["C", 300, 4800.0], ["Total", 432, 4950.0]],
    )
    assert cells_of(check(path), "differencing-total") == {(1, "mean_cost")}
    two = write_csv(
        tmp_path / "two.csv",
        ["region", "n", "mean_cost"],
        [["A", 120, "*"], ["B", 12, "*"], ["C", 300, 4800.0], ["Total", 432, 4950.0]],
    )
    assert "differencing-total" not in {f.rule for f in check(two).findings}
