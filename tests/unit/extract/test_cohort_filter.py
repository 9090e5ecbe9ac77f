"""Cohort filters: accepted predicates render as DuckDB SQL; anything else is rejected."""

from __future__ import annotations

import duckdb
import pytest

from tre.extract.filter import CohortFilterError, validate_cohort_filter

COLUMNS = {"birth_year_month", "gender", "region", "deceased"}


@pytest.mark.parametrize(
    "predicate",
    [
        "region = 'north'",
        "region IN ('north', 'south') AND gender <> 'unknown'",
        "year(CAST(birth_year_month || '-01' AS DATE)) BETWEEN 1950 AND 1970",
        "date_part('year', CAST(birth_year_month || '-01' AS DATE)) >= 1960",
        "NOT (deceased IS NULL) OR lower(region) LIKE 'no%'",
        "coalesce(upper(gender), 'X') = 'F'",
        "birth_year_month >= '1960-01'",
    ],
)
def test_accepted_predicates_run_in_duckdb(predicate: str) -> None:
    sql = validate_cohort_filter(predicate, COLUMNS)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE patient AS SELECT '1961-03' AS birth_year_month, 'female' AS gender, "
        "'north' AS region, NULL::DATE AS deceased"
    )
    con.execute(f"SELECT count(*) FROM patient WHERE {sql}").fetchone()


@pytest.mark.parametrize(
    ("predicate", "why"),
    [
        ("1=1; DROP TABLE patient", "single expression"),
        ("region = 'a'; SELECT 1", "single expression"),
        ("region IN (SELECT region FROM patient)", "subquer"),
        ("EXISTS (SELECT 1)", "subquer"),
        ("(SELECT 1) = 1", "subquer"),
        ("region = (SELECT content FROM read_text('/etc/passwd'))", "subquer"),
        ("read_csv('/etc/passwd') IS NOT NULL", "not allowed"),
        ("length(read_parquet('/x.parquet')) > 0", "not allowed"),
        ("postcode = 'AB1'", "not permitted"),
        ("person_id = 'abc'", "not permitted"),
        ("p.region = 'north'", "qualified"),
        ("getenv('HOME') = '/root'", "not allowed"),
        ("count(*) > 1", "not allowed"),
        ("1 = 1", "column"),
        ("", "empty"),
        ("region = ", "valid SQL"),
        ("SELECT 1", "condition"),
        ("region = $1", "not allowed"),
    ],
)
def test_malicious_or_invalid_predicates_are_rejected(predicate: str, why: str) -> None:
    with pytest.raises(CohortFilterError) as info:
        validate_cohort_filter(predicate, COLUMNS)
    assert why in str(info.value)
    assert "etc/passwd" not in str(info.value)
