"""A small lake-shaped set of Parquet files, written directly (no ingest), for builder tests.

Person ids are real lake pseudonyms (HMAC of `source|id` under a test lake key), so tests can
compare extract values against every lake pseudonym.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tre.extract.builder import SourceColumn, SourceDataset
from tre.lake.pseudonymise import install_hmac

LAKE_KEY = b"k" * 32
SOURCE = "synthea"
REGIONS = ("north", "south", "east", "west")


def make_lake(root: Path, persons: int = 200, snapshot_id: str = "s-1") -> list[SourceDataset]:
    """patient / condition / claim datasets for `persons` people (3 conditions, 2 claims each)."""
    snap = root / "snapshots" / snapshot_id
    snap.mkdir(parents=True)
    con = duckdb.connect()
    install_hmac(con, LAKE_KEY)
    con.execute(
        f"""CREATE TABLE patient AS SELECT
              lake_hmac('{SOURCE}|' || i) AS person_id,
              printf('%04d-%02d', 1930 + i % 70, 1 + i % 12) AS birth_year_month,
              CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END AS gender,
              ['north', 'south', 'east', 'west'][1 + i % 4] AS region
            FROM range({persons}) r(i)"""
    )
    con.execute(
        f"""CREATE TABLE condition AS SELECT
              lake_hmac('{SOURCE}|Condition/' || i) AS id,
              lake_hmac('{SOURCE}|' || (i // 3)) AS person_id,
              lake_hmac('{SOURCE}|Encounter/' || (i // 2)) AS encounter_id,
              ['E11', 'I10', 'J45'][1 + i % 3] AS code,
              DATE '2015-01-01' + (i % 2000)::INT AS onset
            FROM range({persons * 3}) r(i)"""
    )
    con.execute(
        f"""CREATE TABLE claim AS SELECT
              lake_hmac('{SOURCE}|Claim/' || i) AS id,
              lake_hmac('{SOURCE}|' || (i // 2)) AS person_id,
              round(10 + (i * 37) % 900, 2) AS total,
              DATE '2016-01-01' + (i % 1500)::INT AS created
            FROM range({persons * 2}) r(i)"""
    )
    for table in ("patient", "condition", "claim"):
        con.execute(f"COPY {table} TO '{snap / table}.parquet' (FORMAT parquet)")
    con.close()
    pid = SourceColumn("person_id", "VARCHAR", "Person pseudonym", "person_id")
    return [
        SourceDataset(
            f"{SOURCE}.patient",
            SOURCE,
            "patient",
            snapshot_id,
            snap / "patient.parquet",
            [
                pid,
                SourceColumn("birth_year_month", "VARCHAR", "Birth year and month"),
                SourceColumn("gender", "VARCHAR", "Administrative gender"),
                SourceColumn("region", "VARCHAR", "Region of residence"),
            ],
            description="One row per person",
        ),
        SourceDataset(
            f"{SOURCE}.condition",
            SOURCE,
            "condition",
            snapshot_id,
            snap / "condition.parquet",
            [
                SourceColumn("id", "VARCHAR", "Condition id", "pseudonym"),
                pid,
                SourceColumn("encounter_id", "VARCHAR", "Encounter id", "pseudonym"),
                SourceColumn("code", "VARCHAR", "ICD-10 code"),
                SourceColumn("onset", "DATE", "Onset date"),
            ],
        ),
        SourceDataset(
            f"{SOURCE}.claim",
            SOURCE,
            "claim",
            snapshot_id,
            snap / "claim.parquet",
            [
                SourceColumn("id", "VARCHAR", "Claim id", "pseudonym"),
                pid,
                SourceColumn("total", "DOUBLE", "Claim total"),
                SourceColumn("created", "DATE", "Claim date"),
            ],
        ),
    ]


def lake_pseudonyms(datasets: list[SourceDataset]) -> set[str]:
    """Every value of every identifier column in the lake."""
    con = duckdb.connect()
    values: set[str] = set()
    for d in datasets:
        for c in d.columns:
            if c.role in ("person_id", "pseudonym"):
                rows = con.execute(f"SELECT DISTINCT {c.name} FROM '{d.path}'").fetchall()
                values.update(r[0] for r in rows)
    return values
