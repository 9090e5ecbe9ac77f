"""The text sweep on its own: folding, digit tokens, and finding removed names and numbers
inside longer display texts without mistaking codes or ordinary words for them."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from tre.lake.linkage import INSURANCE_MEMBER_SYSTEM, install_linkage_macros, normalise_insurance
from tre.lake.pseudonymise import install_hmac
from tre.lake.sweep_text import (
    fold,
    fold_array,
    fold_removed,
    number_tokens,
    removed_text_sql,
    sweep_text,
    token_sql,
)

SAMPLES = [
    "牧野 爛漫",
    "マキノ　ランマン",
    "まきの らんまん",
    "ﾏｷﾉ ﾗﾝﾏﾝ",
    "ガッコウ",
    "ｶﾞｯｺｳ",
    "がっこう",
    "Ｔａｎａｋａ Taro",
    "〒７８１－８１２５",
    "03-0123-4545   99991",
    "ユーコ・スミス",
]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def test_the_vectorised_fold_and_tokens_are_the_reference(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert fold_array(pa.array(SAMPLES)).to_pylist() == [fold(t) for t in SAMPLES]
    for text in SAMPLES:
        decomposed = unicodedata.normalize("NFKD", text)
        (tokens,) = con.execute(f"SELECT {token_sql('$1')}", [decomposed]).fetchone() or ([],)
        assert sorted(tokens) == sorted(number_tokens(text)), text


def test_forms_of_one_name_fold_alike() -> None:
    assert fold("マキノ　ランマン") == fold("まきの らんまん") == fold("ﾏｷﾉ ﾗﾝﾏﾝ")
    assert fold("ガッコウ") == fold("ｶﾞｯｺｳ") == fold("がっこう")
    assert fold("Ｔａｎａｋａ Taro") == "tanakataro"


def test_numbers_are_whole_digit_runs() -> None:
    assert number_tokens("連絡先 ０３－１２３－１２３４、〒781-8125") == ["031231234", "7818125"]
    assert number_tokens("code 3A015000001827101") == ["3", "015000001827101"]
    # neighbours joined by a space are tokens apart and together
    assert number_tokens("〒781-8125 03-0123-4545") == [
        "7818125",
        "0301234545",
        "78181250301234545",
    ]


def _removed(con: duckdb.DuckDBPyConnection, names: list[str], numbers: list[str]) -> None:
    for table, values in (("n", names), ("d", numbers)):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (v VARCHAR)")
        for value in values:
            con.execute(f"INSERT INTO {table} VALUES (?)", [value])
    sql = removed_text_sql("SELECT v FROM n", "SELECT NULL::VARCHAR WHERE false", "SELECT v FROM d")
    con.register("folded", fold_removed(con, con.sql(sql).to_arrow_table()))
    con.execute("CREATE OR REPLACE TEMP TABLE removed_text AS SELECT * FROM folded")


def _table(con: duckdb.DuckDBPyConnection, path: Path, columns: dict[str, list[str]]) -> Path:
    width = max(len(v) for v in columns.values())
    rows = [[col[i] if i < len(col) else None for col in columns.values()] for i in range(width)]
    names = ", ".join(f'"{c}" VARCHAR' for c in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE t ({names})")
    con.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in columns)})", rows)
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    return path


def test_names_and_numbers_are_found_inside_texts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _removed(con, ["牧野 爛漫", "マキノ ランマン"], ["03-0123-4545", "781-8125"])
    attacks = {
        "kanji": ["紹介状：牧野爛漫様"],
        "hiragana": ["まきの　らんまん さんの所見"],
        "half_width_kana": ["患者 ﾏｷﾉ ﾗﾝﾏﾝ"],
        "full_width_phone": ["連絡先 ０３０１２３４５４５ まで"],
        "spaced_phone": ["TEL 03 0123 4545"],
        "postcode": ["〒７８１－８１２５ 高知"],
        "postcode_and_phone": ["〒781-8125 03-0123-4545 まで"],
        "clean": ["上腹部痛", "カロナール錠５００", "3A015000001827101"],
    }
    path = _table(con, tmp_path / "a.parquet", attacks)
    hits = sweep_text(con, {"a": (path, list(attacks))}, "removed_text")
    assert sorted(c for _t, c in hits) == sorted(set(attacks) - {"clean"})


def test_a_number_inside_a_longer_code_is_not_a_hit(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _removed(con, [], ["781-8125", "0312341234"])
    path = _table(con, tmp_path / "a.parquet", {"d": ["17818125", "20312341234-1", "7818125x"]})
    assert sweep_text(con, {"a": (path, ["d"])}, "removed_text") == [("a", "d")]  # 7818125x


def test_short_names_are_left_to_the_exact_sweep(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # A two-character family name is also a word (橋本 and 橋本病): not looked for inside text.
    _removed(con, ["橋本"], [])
    path = _table(con, tmp_path / "a.parquet", {"d": ["橋本病"]})
    assert sweep_text(con, {"a": (path, ["d"])}, "removed_text") == []


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("00012345:あいう:１８７:05", "00012345:あいう:187:05"),
        ("１２３４５６:あ い:１８７－１:5", "00123456:あい:1871:05"),
        ("06123456:１２３４５:６７８９０:０１", "06123456:12345:67890:01"),
        ("no-parts", "noparts"),
    ],
)
def test_the_insurance_identity_is_normalised_alike_in_sql(value: str, normalised: str) -> None:
    con = duckdb.connect()
    install_hmac(con, b"k" * 32)
    install_linkage_macros(con, "src", None)
    assert normalise_insurance(value) == normalised
    row = con.execute("SELECT id_norm($1, $2)", [INSURANCE_MEMBER_SYSTEM, value]).fetchone()
    assert row == (normalised,)
