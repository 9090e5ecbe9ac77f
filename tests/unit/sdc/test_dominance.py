"""Contributor-level rules from microdata: threshold in people, NK, p%, boundaries."""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tre.sdc import CheckContext, SdcParams, check_table
from tre.sdc.text import table_from_arrow

from .helpers import cells_of, check, rules, write_csv


def _cell_micro(contributions: dict[str, list[float]]) -> pa.Table:
    groups, values, persons = [], [], []
    for group, amounts in contributions.items():
        groups += [group] * len(amounts)
        values += amounts
        persons += [f"{group}-{i}" for i in range(len(amounts))]
    return pa.table({"group": groups, "cost": values, "person": persons})


def _flags(
    micro: pa.Table, params: SdcParams, stat: str = "sum", unit: str | None = None
) -> dict[str, set]:
    published = pa.table(
        {
            "group": sorted(set(micro.column("group").to_pylist())),
            "total_cost": [1.0] * len(set(micro.column("group").to_pylist())),
        }
    )
    context = CheckContext(microdata=micro, by=["group"], value="cost", unit=unit, stat=stat)
    out: dict[str, set] = {}
    for f in check_table(table_from_arrow(published), params, context):
        out.setdefault(f.rule, set()).update(r for r, _c in f.cells)
    return out


def test_nk_boundary_top_two_share_exactly_k() -> None:
    rest = [1.0] * 10  # 10 small contributors: 10
    micro = _cell_micro({"at_k": [45.0, 45.0, *rest], "below_k": [44.0, 45.0, *rest, 1.0]})
    flags = _flags(micro, SdcParams(p_ratio=0.0))
    assert flags.get("nk-dominance") == {0}  # 90/100 = k is flagged (ACRO: >= k); 89/101 is not


def test_p_ratio_boundary() -> None:
    micro = _cell_micro(
        {"at_p": [100.0, 50.0, *[1.0] * 10], "below_p": [100.0, 50.0, *[0.99] * 10]}
    )
    flags = _flags(micro, SdcParams(nk_k=1.01))
    assert flags.get("p-ratio") == {1}  # (rest / top1) = 0.1 passes, 0.099 fails


def test_threshold_counts_people_not_records() -> None:
    claims = pa.table(
        {
            "group": ["g"] * 14 + ["h"] * 30,
            "person": ["p1"] * 7 + ["p2"] * 7 + [f"q{i}" for i in range(30)],
            "cost": [10.0] * 44,
        }
    )
    assert _flags(claims, SdcParams(), unit="person").get("threshold") == {0}
    assert "threshold" not in _flags(claims, SdcParams(), unit=None)


def test_threshold_boundary_in_people() -> None:
    micro = _cell_micro({"ten": [5.0] * 10, "nine": [5.0] * 9})
    assert _flags(micro, SdcParams(), unit="person").get("threshold") == {0}  # "nine" sorts first


def test_dominance_by_person_sums_their_claims() -> None:
    # One person with many small claims dominates once claims are summed per person.
    claims = pa.table(
        {
            "group": ["g"] * 40,
            "person": ["big"] * 20 + [f"p{i}" for i in range(20)],
            "cost": [50.0] * 20 + [5.0] * 20,
        }
    )
    assert "nk-dominance" not in _flags(claims, SdcParams(), unit=None)
    assert _flags(claims, SdcParams(), unit="person").get("nk-dominance") == {0}


def test_negative_contributions_need_review() -> None:
    micro = _cell_micro({"g": [-5.0, *[3.0] * 12]})
    assert _flags(micro, SdcParams()).get("negative-values") == {0}


def test_cli_layout_wide_mean_table_from_parquet(tmp_path: Path, microdata: pa.Table) -> None:
    pq.write_table(microdata, tmp_path / "claims.parquet")
    import duckdb

    con = duckdb.connect()
    con.register("m", microdata)
    wide = con.sql(
        "PIVOT (SELECT prefecture, sex, cost FROM m) ON sex USING avg(cost) GROUP BY prefecture "
        "ORDER BY prefecture"
    ).to_arrow_table()
    counts = con.sql(
        "SELECT prefecture, sex, count(DISTINCT person_id) AS n FROM m GROUP BY ALL"
    ).fetchall()
    rows = wide.column("prefecture").to_pylist()
    expected = {(rows.index(p), s) for p, s, n in counts if n < 10}
    assert expected
    path = write_csv(
        tmp_path / "mean.csv", wide.column_names, [list(r.values()) for r in wide.to_pylist()]
    )
    report = check(
        path,
        microdata=tmp_path / "claims.parquet",
        by=["prefecture", "sex"],
        value="cost",
        unit="person_id",
        stat="mean",
    )
    assert cells_of(report, "threshold") == expected
    assert "contributors-unknown" not in rules(report)
    assert np.all([c in ("F", "M") for _r, c in cells_of(report, "threshold")])


def test_same_value_and_single_maximum_from_microdata(tmp_path: Path) -> None:
    """Twelve people in a cell who all paid 500: the mean tells each their own cost; a
    maximum held by one person is that person's value. Claims of one person count once."""
    micro = pa.table(
        {
            "person_id": [f"p{k}" for k in range(12)] + [f"q{k}" for k in range(12)] + ["q0"],
            "g": ["a"] * 12 + ["b"] * 13,
            "cost": [500.0] * 12 + [100.0 + k for k in range(12)] + [40.0],
        }
    )
    table = write_csv(tmp_path / "t.csv", ["g", "mean_cost"], [["a", 500], ["b", 105.0]])
    found = rules(check(table, microdata=micro, by=["g"], value="cost", stat="mean"))
    assert found["same-value"] == "block"
    assert cells_of(
        check(table, microdata=micro, by=["g"], value="cost", stat="mean"), "same-value"
    ) == {(0, "mean_cost")}
    top = write_csv(tmp_path / "m.csv", ["g", "max_cost"], [["a", 500], ["b", 151]])
    flagged = cells_of(
        check(top, microdata=micro, by=["g"], value="cost", stat="max"), "single-extreme"
    )
    assert flagged == {(1, "max_cost")}  # in a, twelve people share the maximum
