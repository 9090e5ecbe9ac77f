"""The vectorised HMAC in DuckDB equals Python's hmac, and the key never shows in errors:
both forms, the SQL one and the native extension's (`tre.native`)."""

from __future__ import annotations

import hashlib
import hmac
import random
import string

import duckdb
import pyarrow as pa
import pytest

from tre import native
from tre.lake.pseudonymise import (
    check_source_name,
    hmac_hex,
    install_hmac,
    install_prefixed_hmac,
    person_pseudonym,
    resource_pseudonym,
)

ENGINES = ["sql", pytest.param("native", marks=pytest.mark.native)]


def _connect(engine: str) -> duckdb.DuckDBPyConnection:
    con = native.connect() if engine == "native" else duckdb.connect()
    assert native.loaded(con) is (engine == "native")
    return con


def _messages(count: int) -> list[str]:
    rng = random.Random(20240601)
    alphabet = string.printable + "日本語テストÄÖüß\u00e9\u2603\\'\""
    messages = ["", "a", "\\x41", "x" * 64, "y" * 65, "z" * 1000, "Patient/\x00nul"]
    for _ in range(count):
        messages.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 200))))
    return messages


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("key_length", [1, 16, 32, 64, 100])
def test_hmac_equals_python_hmac(engine: str, key_length: int) -> None:
    key = random.Random(key_length).randbytes(key_length)
    messages = _messages(5000)  # more than two vectors: a chunk boundary is crossed
    con = _connect(engine)
    install_hmac(con, key)
    con.register("msgs", pa.table({"i": range(len(messages)), "m": messages}))
    got = dict(con.execute("SELECT i, lake_hmac(m) FROM msgs").fetchall())
    for i, message in enumerate(messages):
        expected = hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
        assert got[i] == expected, f"message #{i}"


@pytest.mark.parametrize("engine", ENGINES)
def test_prefixed_hmac_equals_python_hmac(engine: str) -> None:
    key = bytes(range(32))
    prefixes = {"": "synthea|", "Encounter": "synthea|Encounter/", "long": "p" * 70}
    messages = _messages(3000)
    con = _connect(engine)
    install_prefixed_hmac(con, key, prefixes)
    con.register("msgs", pa.table({"i": range(len(messages)), "m": messages}))
    # The prefix changes from column to column within one chunk, and NULL stays NULL.
    rows = con.execute(
        "SELECT i, lake_hmac_prefixed('', m), lake_hmac_prefixed('Encounter', m), "
        "lake_hmac_prefixed('long', m), lake_hmac_prefixed('', NULL) FROM msgs"
    ).fetchall()
    for i, plain, encounter, long, null in rows:
        message = messages[i]
        assert plain == hmac_hex(key, "synthea|" + message), f"message #{i}"
        assert encounter == hmac_hex(key, "synthea|Encounter/" + message), f"message #{i}"
        assert long == hmac_hex(key, "p" * 70 + message), f"message #{i}"
        assert null is None


def test_helpers_follow_the_lake_contract() -> None:
    key = b"k" * 32
    assert person_pseudonym(key, "synthea", "abc") == hmac_hex(key, "synthea|abc")
    assert resource_pseudonym(key, "synthea", "Encounter", "e1") == hmac_hex(
        key, "synthea|Encounter/e1"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_key_does_not_appear_in_sql_errors(engine: str) -> None:
    key = bytes(range(32))
    con = _connect(engine)
    install_hmac(con, key)
    inner_hex = bytes(b ^ 0x36 for b in key.ljust(64, b"\0")).hex()
    with pytest.raises(duckdb.Error) as info:
        con.execute("SELECT lake_hmac(no_such_column)")
    text = str(info.value).lower()
    assert key.hex() not in text and inner_hex not in text
    macro_sql = con.execute(
        "SELECT macro_definition FROM duckdb_functions() WHERE function_name = 'lake_hmac'"
    ).fetchall()
    assert all(key.hex() not in str(row).lower() for row in macro_sql)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("synthea", True),
        ("claims-2024", True),
        ("a_b", True),
        ("", False),
        ("Bad", False),
        ("x'; drop", False),
        ("../up", False),
    ],
)
def test_source_names(name: str, ok: bool) -> None:
    assert check_source_name(name) is ok
