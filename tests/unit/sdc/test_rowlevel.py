"""Row-level data disguised as tables."""

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from .helpers import check, rules, write_csv


def test_person_ids_renamed_as_code_are_found_by_value(tmp_path: Path, microdata: pa.Table) -> None:
    ids = microdata.column("person_id").to_pylist()
    path = write_csv(tmp_path / "t.csv", ["code", "n"], [[ids[k], 20 + k] for k in range(3)])
    report = check(path, person_ids=set(ids))
    assert rules(report)["person-identifier"] == "block"
    # The same as a DuckDB relation of the extract's persons.
    con = duckdb.connect()
    relation = con.sql("SELECT DISTINCT person_id FROM microdata")
    assert rules(check(path, person_ids=relation))["person-identifier"] == "block"


def test_short_integer_ids_matched_by_value(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["ref", "score"], [["100234", 20], ["100999", 30]])
    assert rules(check(path, person_ids=pa.array(["100234"])))["person-identifier"] == "block"
    assert "person-identifier" not in rules(check(path, person_ids=pa.array(["5"])))


def test_pseudonym_shaped_values_without_context(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["x", "n"], [[f"{k:064x}", 20 + k] for k in range(5)])
    assert rules(check(path))["pseudonym-like"] == "block"


def test_transposed_person_matrix(tmp_path: Path) -> None:
    ids = [f"{k:064x}" for k in range(4)]
    path = write_csv(tmp_path / "t.csv", ["measure", *ids], [["cost", 1, 2, 3, 4]])
    assert rules(check(path))["transposed-persons"] == "block"


def test_rows_about_as_many_as_persons(tmp_path: Path) -> None:
    rows = [[f"g{k}", 20 + k % 7] for k in range(60)]
    path = write_csv(tmp_path / "t.csv", ["grp", "n"], rows)
    assert rules(check(path, n_persons=80))["rows-are-persons"] == "block"
    assert "rows-are-persons" not in rules(check(path, n_persons=100_000))


def test_dates_of_birth_and_postcodes(tmp_path: Path) -> None:
    dob = write_csv(
        tmp_path / "d.csv", ["birth_date", "n"], [["1980-02-03", 12], ["1975-11-30", 14]]
    )
    assert rules(check(dob))["date-of-birth"] == "block"
    uk = write_csv(tmp_path / "u.csv", ["area", "n"], [["SW1A 1AA", 12], ["M1 1AE", 14]])
    assert rules(check(uk))["full-postcode"] == "block"
    jp = write_csv(tmp_path / "j.csv", ["住所", "n"], [["〒100-0001", 12], ["530-0001", 14]])
    assert rules(check(jp))["full-postcode"] == "block"
    district = write_csv(tmp_path / "ok.csv", ["area", "n"], [["SW1A", 12], ["M1", 14]])
    assert "full-postcode" not in rules(check(district))


def test_unique_quasi_identifier_combinations(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = [["F", "40-49", "Tokyo", round(float(c), 1)] for c in rng.random(5)]
    rows.append(["M", "90-99", "Tottori", 1.0])
    path = write_csv(tmp_path / "rows.csv", ["sex", "age", "prefecture", "score"], rows)
    report = check(path)
    found = {c for f in report.findings if f.rule == "unique-combination" for c in f.cells}
    assert found == {(5, "sex")}


def test_per_person_residuals_and_top_n_lists(tmp_path: Path) -> None:
    resid = write_csv(
        tmp_path / "r.csv", ["obs", "fitted", "resid"], [[k, 1.5 * k, 0.1 * k] for k in range(30)]
    )
    assert rules(check(resid))["per-person-model-values"] == "block"
    top = write_csv(
        tmp_path / "top.csv",
        ["rank", "patient", "total_cost"],
        [[k + 1, f"P{k}", 10_000 - k] for k in range(10)],
    )
    assert rules(check(top))["person-list"] == "block"
