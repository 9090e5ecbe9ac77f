"""Reference parsing and keyed ids in SQL, as the FHIR tables use them."""

from __future__ import annotations

import duckdb
import pytest

from tre.lake import fhir
from tre.lake.pseudonymise import hmac_hex

KEY = bytes(range(32))


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    fhir.prepare(connection, "src", KEY)
    return connection


@pytest.mark.parametrize(
    ("ref", "rid", "rtype", "is_patient"),
    [
        ("Patient/abc", "abc", "Patient", True),
        ("urn:uuid:0b3c-11", "0b3c-11", None, True),
        ("http://host/fhir/Patient/p9/_history/3", "p9", "Patient", True),
        # a logical reference: the patient is named by an identifier (tre.lake.linkage)
        ("Patient?identifier=sys|123", None, None, True),
        ("Organization?identifier=sys|123", None, None, False),
        ("#coverage", None, None, False),
        ("abc", None, None, False),
        ("Group/g1", "g1", "Group", False),
        ("Patient/", None, "Patient", False),
    ],
)
def test_reference_forms(
    con: duckdb.DuckDBPyConnection, ref: str, rid: str | None, rtype: str | None, is_patient: bool
) -> None:
    row = con.execute("SELECT ref_id($1), ref_type($1), lake_person($1) IS NOT NULL", [ref])
    assert row.fetchone() == (rid, rtype, is_patient)


def test_keyed_ids_follow_the_contract(con: duckdb.DuckDBPyConnection) -> None:
    person, encounter, own = con.execute(
        "SELECT lake_person('Patient/p1'), lake_ref('Encounter', 'urn:uuid:e1'), "
        "lake_own('Claim', 'c1')"
    ).fetchone() or (None, None, None)
    assert person == hmac_hex(KEY, "src|p1")
    assert encounter == hmac_hex(KEY, "src|Encounter/e1")
    assert own == hmac_hex(KEY, "src|Claim/c1")


def test_year_month_and_timestamps(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        "SELECT year_month('1984-07-19'), year_month('1984'), year_month('bad'), "
        "fhir_ts('2020-03')::VARCHAR, fhir_ts('2020-01-01T09:00:00+09:00')::VARCHAR"
    ).fetchone()
    assert row is not None
    assert row[:3] == ("1984-07", "1984", None)
    assert row[3].startswith("2020-03-01") and row[4].startswith("2020-01-01 00:00:00")
    values = ["2020", "2020-03-05", "2020-03-05T10:00:00Z", "2020-13", "garbage", "", None]
    got = [
        con.execute("SELECT fhir_ts($1)::VARCHAR", [v]).fetchone()[0]  # type: ignore[index]
        for v in values
    ]
    assert got[0].startswith("2020-01-01") and got[1].startswith("2020-03-05 00:00:00")
    assert got[2].startswith("2020-03-05 10:00:00")
    assert got[3:] == [None, None, None, None]


def test_a_logical_reference_is_keyed_by_its_identifier(con: duckdb.DuckDBPyConnection) -> None:
    # Not the linkage system of this source: a source-local key, never the bare identifier's.
    ref = "Patient?identifier=http://example.org/mrn|a|b"
    (person,) = con.execute("SELECT lake_person($1)", [ref]).fetchone() or (None,)
    assert person == hmac_hex(KEY, "src|http://example.org/mrn|a|b")
    assert person != hmac_hex(KEY, "http://example.org/mrn|a|b")
