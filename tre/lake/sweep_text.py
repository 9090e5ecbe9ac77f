"""The leak sweep inside text: removed names, phone numbers and postcodes within longer strings.

`tre.lake.sweep` finds a removed identifier that fills a whole cell. A display text can also
carry one inside it ("牧野 爛漫様 紹介状", "連絡先 ０３－１２３－１２３４"), written in another
form than the source's field: full-width or half-width, hiragana or katakana, with or
without the space between family and given name, with hyphens, spaces or none in a number.
So both sides are folded to one form before they are compared (with Arrow compute and a
byte-level step in numpy, vectorised; DuckDB's `translate` rebuilds its map for every value
and cost a thousand times more):

- text (`fold`): Unicode compatibility decomposition (NFKD: full-width ASCII to half-width,
  half-width katakana to full-width, voiced kana to their kana and a combining mark, which
  is dropped, so ガ, ｶﾞ and が compare equal), hiragana to katakana, Latin letters to
  lower case; spaces and name separators (・) removed;
- numbers: every run of digits in a text, hyphens and spaces between digit groups removed,
  is a token; a removed phone number, postcode or identifier matches a whole token only,
  so a postcode never matches the middle of a longer code.

What is looked for (collected while reading, `removed_text_rows`): people's full names
(given and family together, in every name representation; a single family or given name
is too common inside ordinary words, such as 橋本 in 橋本病, and stays with the exact
sweep) and address texts and lines, as text of at least three folded characters; phone
numbers, postcodes and patients' identifiers with at least seven digits, as numbers.
Where it is looked for: the columns that carry human-readable text (code displays), not
codes or pseudonyms, whose digits would collide with phone numbers by chance.

The output side is small (distinct display texts come from vocabularies); each distinct
folded value is cut into its substrings of the lengths that removed names have, and those
are joined with the removed strings by hash, in DuckDB. Only table and column names come
back.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tre.sql import identifier, literal

MIN_TEXT_CHARS = 3
MIN_NUMBER_DIGITS = 7
# Removed after decomposition: spaces, name separators, the (combining) voicing marks.
_DROPPED = "[\\s\u3000・･\u3099\u309a]"
_HYPHENS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212ー"
_SEPARATORS = _HYPHENS + " \u3000"
# Digit runs joined by single hyphens; and the same joined across single spaces too ("03 0123
# 4545"), which also joins neighbours ("〒781-8125 03-0123-4545"): both are tokens.
_TOKENS = (f"[0-9]+(?:[{_HYPHENS}][0-9]+)*", f"[0-9]+(?:[{_SEPARATORS}][0-9]+)*")
_HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))
_KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30F7))
_LENGTHS = "text_sweep_lengths"
_PIECES = "text_sweep_pieces"


def fold(text: str) -> str:
    """The folded form of `text` (reference of `fold_array`, for tests and single values):
    compatibility decomposition (full-width to half-width, half-width kana to full-width,
    voiced kana to kana and a combining mark), hiragana to katakana, lower case, without
    spaces, name separators and voicing marks."""
    decomposed = unicodedata.normalize("NFKD", text)
    katakana = decomposed.translate(str.maketrans(_HIRAGANA, _KATAKANA)).lower()
    return re.sub(_DROPPED, "", katakana)


def number_tokens(text: str) -> list[str]:
    """The digit tokens of `text` (reference of `token_sql`): runs of digits joined across
    single hyphens, and joined across single hyphens or spaces, separators removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    found = [t for token in _TOKENS for t in re.findall(token, decomposed)]
    return list(dict.fromkeys(re.sub(f"[{_SEPARATORS}]", "", t) for t in found))


def _hiragana_to_katakana(values: pa.Array) -> pa.Array:
    """Hiragana U+3041-U+3096 to katakana (+0x60), on the UTF-8 bytes: three bytes stay
    three bytes, so the offsets do not change."""
    values = values.cast(pa.large_string())
    if len(values) == 0:
        return values
    offsets_buffer, data_buffer = values.buffers()[1], values.buffers()[2]
    if data_buffer is None:
        return values
    data = np.frombuffer(data_buffer, dtype=np.uint8).copy()
    lead = np.flatnonzero(data[:-2] == 0xE3)
    second, third = data[lead + 1], data[lead + 2]
    # U+3041-U+305F: E3 81 81-9F -> E3 82 A1-BF; U+3060-U+307F: E3 81 A0-BF -> E3 83 80-9F;
    # U+3080-U+3096: E3 82 80-96 -> E3 83 A0-B6.
    low = (second == 0x81) & (third >= 0x81) & (third <= 0x9F)
    mid = (second == 0x81) & (third >= 0xA0)
    high = (second == 0x82) & (third >= 0x80) & (third <= 0x96)
    data[lead[low] + 1], data[lead[low] + 2] = 0x82, third[low] + 0x20
    data[lead[mid] + 1], data[lead[mid] + 2] = 0x83, third[mid] - 0x20
    data[lead[high] + 1], data[lead[high] + 2] = 0x83, third[high] + 0x20
    return pa.LargeStringArray.from_buffers(
        len(values),
        offsets_buffer,
        pa.py_buffer(data.tobytes()),
        values.buffers()[0],
        values.null_count,
        values.offset,
    )


def fold_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`fold` over an Arrow string array, vectorised."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    decomposed = pc.utf8_normalize(values.cast(pa.large_string()), "NFKD")
    katakana = _hiragana_to_katakana(decomposed)
    return pc.replace_substring_regex(pc.utf8_lower(katakana), _DROPPED, "")


def token_sql(column: str) -> str:
    """SQL for the digit tokens (a list) of an already decomposed text `column`."""
    runs = " || ".join(f"regexp_extract_all({column}, '{token}')" for token in _TOKENS)
    return (
        f"list_distinct(list_transform({runs}, "
        f"lambda t: regexp_replace(t, '[{_SEPARATORS}]', '', 'g')))"
    )


def removed_text_sql(names: str, places: str, numbers: str) -> str:
    """Rows (kind, value) of what to look for, unfolded, from three queries of one VARCHAR
    column each: full names, address texts and lines (kind 'text'), and phone numbers,
    postcodes and identifiers (kind 'number'). `fold_removed` makes them comparable."""
    return (
        f"SELECT DISTINCT 'text' AS kind, v AS value FROM ({names} UNION ALL {places}) "
        f"AS s(v) WHERE v IS NOT NULL UNION ALL SELECT DISTINCT 'number', v "
        f"FROM ({numbers}) AS s(v) WHERE v IS NOT NULL"
    )


def fold_removed(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> pa.Table:
    """Rows of `removed_text_sql` as the sweep compares them: texts folded (at least three
    characters), numbers as all their digits and as each digit token (at least seven)."""
    kinds = rows.column("kind")
    texts = fold_array(pc.filter(rows.column("value"), pc.equal(kinds, "text")))
    numbers = pc.utf8_normalize(
        pc.filter(rows.column("value"), pc.equal(kinds, "number")).cast(pa.large_string()),
        "NFKD",
    )
    con.register("fold_texts", pa.table({"v": texts}))
    con.register("fold_numbers", pa.table({"v": numbers}))
    try:
        return con.sql(
            f"""
            SELECT DISTINCT 'text' AS kind, v::VARCHAR AS value FROM fold_texts
            WHERE length(v) >= {MIN_TEXT_CHARS}
            UNION ALL
            SELECT DISTINCT 'number', value FROM (
                SELECT regexp_replace(v, '[^0-9]', '', 'g') AS value FROM fold_numbers
                UNION ALL SELECT unnest({token_sql("v")}) FROM fold_numbers
            ) WHERE length(value) >= {MIN_NUMBER_DIGITS}
            """
        ).to_arrow_table()
    finally:
        con.unregister("fold_texts")
        con.unregister("fold_numbers")


def sweep_text(
    con: duckdb.DuckDBPyConnection,
    columns: dict[str, tuple[Path, list[str]]],
    removed: str,
) -> list[tuple[str, str]]:
    """(table, column) pairs among `columns` (table -> (file, text columns)) whose values hold
    a removed name or address inside them, or a removed number as one of their digit
    tokens. `removed` names a relation of (kind, value) rows from `removed_text_sql`."""
    hits: list[tuple[str, str]] = []
    wanted = [(t, p, c) for t, (p, cols) in sorted(columns.items()) for c in cols]
    if not wanted:
        return hits
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_LENGTHS} AS "
            f"SELECT DISTINCT length(value) AS n FROM {removed} WHERE kind = 'text'"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_PIECES} (col INTEGER, kind VARCHAR, v VARCHAR)"
        )
        for number, (_table, path, name) in enumerate(wanted):
            column = identifier(name)
            values = (
                con.sql(
                    f"SELECT DISTINCT {column} AS v FROM read_parquet({literal(str(path))}) "
                    f"WHERE {column} IS NOT NULL"
                )
                .to_arrow_table()
                .column("v")
            )
            con.register(
                "sweep_values",
                pa.table(
                    {
                        "f": fold_array(values),
                        "d": pc.utf8_normalize(values.cast(pa.large_string()), "NFKD"),
                    }
                ),
            )
            # Every substring of a folded value with a length some removed text has, and
            # every digit token.
            con.execute(
                f"""
                INSERT INTO {_PIECES}
                SELECT DISTINCT {number}, 'text', substr(f, i, n) FROM (
                    SELECT f::VARCHAR AS f, n FROM sweep_values
                    JOIN {_LENGTHS} ON n <= length(f)
                ), LATERAL (SELECT unnest(range(1, length(f) - n + 2)) AS i)
                UNION ALL
                SELECT DISTINCT {number}, 'number', unnest({token_sql("d::VARCHAR")})
                FROM sweep_values
                """
            )
            con.unregister("sweep_values")
        matched = con.execute(
            f"SELECT DISTINCT p.col FROM {_PIECES} p "
            f"SEMI JOIN {removed} r ON p.kind = r.kind AND p.v = r.value ORDER BY 1"
        ).fetchall()
        hits = [(wanted[int(c)][0], wanted[int(c)][2]) for (c,) in matched]
    finally:
        for temp in (_LENGTHS, _PIECES):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
    return hits
