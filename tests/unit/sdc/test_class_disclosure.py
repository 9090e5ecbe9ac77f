"""Class disclosure whatever the layout: a cell holding all, or nearly all, of its row or
column, in a wide cross-tabulation or a long table (absent rows being the zeros a GROUP BY
leaves out); its severity follows the profile's zeros when the rest is zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from tre.sdc import SdcParams
from tre.sdc.findings import FileReport

from .helpers import check, write_csv

# Smokers by region: in Kinki 190 of 200 smoke (95%, the other 10 are a safe count).
NEARLY = {("Kanto", "yes"): 120, ("Kanto", "no"): 140, ("Kinki", "yes"): 190,
          ("Kinki", "no"): 10, ("Tohoku", "yes"): 60, ("Tohoku", "no"): 70}  # fmt: skip
REGIONS = ["Kanto", "Kinki", "Tohoku"]


def _class(report: FileReport) -> dict[str, set[tuple[int, str]]]:
    """severity -> cells of the class-disclosure findings."""
    out: dict[str, set[tuple[int, str]]] = {}
    for f in report.findings:
        if f.rule == "class-disclosure":
            out.setdefault(f.severity, set()).update((int(r), str(c)) for r, c in f.cells)
    return out


def _long(tmp_path: Path, counts: dict[tuple[str, str], object], name: str = "long.csv") -> Path:
    rows = [[r, s, n] for (r, s), n in counts.items()]
    return write_csv(tmp_path / name, ["region", "smoker", "n"], rows)


def _wide(tmp_path: Path, counts: dict[tuple[str, str], object]) -> Path:
    rows = [[r, counts.get((r, "yes"), 0), counts.get((r, "no"), 0)] for r in REGIONS]
    return write_csv(tmp_path / "wide.csv", ["region", "yes", "no"], rows)


def test_nearly_all_is_found_in_long_and_wide_layouts(tmp_path: Path) -> None:
    assert _class(check(_wide(tmp_path, NEARLY))) == {"review": {(1, "yes")}}
    long = check(_long(tmp_path, NEARLY))
    assert _class(long) == {"review": {(2, "n")}}  # the row of Kinki, yes
    assert long.verdict == "review"


def test_an_absent_row_is_a_zero_and_gets_the_profiles_severity(tmp_path: Path) -> None:
    counts = dict(NEARLY)
    counts[("Kinki", "yes")] = 200
    del counts[("Kinki", "no")]  # a GROUP BY leaves the zero out
    path = _long(tmp_path, counts)
    kinki_yes = {(2, "n")}
    assert _class(check(path)) == {"block": kinki_yes}  # acro: zeros are disclosive
    opensafely = check(path, SdcParams.profile_named("opensafely"))
    assert _class(opensafely) == {"review": kinki_yes}
    ndb = check(path, SdcParams.profile_named("ndb"))  # zeros allowed: noted only
    assert _class(ndb) == {"info": kinki_yes} and ndb.verdict == "pass"


def test_a_printed_zero_in_a_wide_table_is_the_same(tmp_path: Path) -> None:
    counts = dict(NEARLY)
    counts[("Kinki", "yes")], counts[("Kinki", "no")] = 200, 0
    assert _class(check(_wide(tmp_path, counts))) == {"block": {(1, "yes")}}


def test_a_suppressed_rest_is_for_review_and_a_small_one_for_the_threshold(
    tmp_path: Path,
) -> None:
    suppressed = dict(NEARLY)
    suppressed[("Kinki", "no")] = "*"
    assert _class(check(_long(tmp_path, suppressed))) == {"review": {(2, "n")}}
    small = dict(NEARLY)
    small[("Kinki", "no")] = 4
    report = check(_long(tmp_path, small, "small.csv"))
    assert _class(report) == {} and report.verdict == "block"  # the 4 is below the threshold


def test_labels_that_describe_or_nest_are_not_a_cross_classification(tmp_path: Path) -> None:
    described = write_csv(
        tmp_path / "codes.csv",
        ["code", "name", "n"],
        [["E11", "Type 2 diabetes", 410], ["I10", "Hypertension", 820], ["J45", "Asthma", 95]],
    )
    assert check(described).verdict == "pass"
    nested = write_csv(
        tmp_path / "nested.csv",
        ["prefecture", "city", "n"],
        [["Tokyo", "Shinjuku", 300], ["Tokyo", "Minato", 280], ["Osaka", "Kita", 150],
         ["Osaka", "Sakai", 190], ["Tottori", "Yonago", 60]],
    )  # fmt: skip
    assert check(nested).verdict == "pass"  # Tottori's one city is not a class


def test_three_way_long_table(tmp_path: Path) -> None:
    rows = [[r, s, o, 40 + 3 * k] for k, (r, s, o) in enumerate(
        (r, s, o) for r in REGIONS for s in "FM" for o in ("yes", "no"))]  # fmt: skip
    rows[5][3] = 500  # Kinki, F, no: 500 of the 552 women of Kinki (90.6%)
    path = write_csv(tmp_path / "t.csv", ["region", "sex", "smoker", "n"], rows)
    assert _class(check(path)) == {"review": {(5, "n")}}


def test_the_share_is_a_parameter(tmp_path: Path) -> None:
    counts = dict(NEARLY)
    counts[("Kinki", "yes")], counts[("Kinki", "no")] = 170, 30  # 85%
    path = _long(tmp_path, counts)
    assert _class(check(path)) == {}
    assert _class(check(path, SdcParams(class_share=0.8))) == {"review": {(2, "n")}}


@pytest.mark.parametrize("share", [0.0])
def test_a_share_of_zero_switches_the_rule_off(tmp_path: Path, share: float) -> None:
    assert _class(check(_long(tmp_path, NEARLY), SdcParams(class_share=share))) == {}
