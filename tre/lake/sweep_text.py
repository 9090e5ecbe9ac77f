"""The leak sweep inside text: removed names, phone numbers and postcodes within longer strings.

`tre.lake.sweep` finds a removed identifier that fills a whole cell. A display text can also
carry one inside it ("牧野 爛漫様 紹介状", "連絡先 ０３－１２３－１２３４"), written in another
form than the source's field: full-width or half-width, hiragana or katakana, with or
without the space between family and given name, with hyphens, spaces or none in a number.
So both sides are folded to one form before they are compared:

- text (`jp_fold`): full-width ASCII to half-width, half-width katakana to full-width,
  hiragana to katakana, voiced and semi-voiced kana to their plain kana (so ガ, ｶﾞ and が
  compare equal), Latin letters to lower case; spaces and name separators (・) removed;
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
from pathlib import Path

import duckdb

from tre.sql import identifier, literal

# Conversions for `translate` (one character to one character), and characters removed.
_FULL_ASCII = "".join(chr(c) for c in range(0xFF01, 0xFF5F))
_HALF_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))
_HIRAGANA = "".join(chr(c) for c in range(0x3041, 0x3097))
_KATAKANA = "".join(chr(c) for c in range(0x30A1, 0x30F7))
_HALF_KANA = "ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ"
_FULL_KANA = (
    "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソ"
    "タチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
)
_VOICED = "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴ"
_PLAIN = "カキクケコサシスセソタチツテトハヒフヘホハヒフヘホウ"
_DROPPED = " \t\u3000・･\u309b\u309c\uff9e\uff9f\u3099\u309a"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\uff70ー"

MIN_TEXT_CHARS = 3
MIN_NUMBER_DIGITS = 7
_LENGTHS = "text_sweep_lengths"
_PIECES = "text_sweep_pieces"


def _fold_map() -> tuple[str, str]:
    """(from, to) for one `translate`: later entries win where a character repeats."""
    mapping: dict[str, str] = {}
    for source, target in (
        (_FULL_ASCII, _HALF_ASCII),
        (_HALF_KANA, _FULL_KANA),
        (_HIRAGANA, _KATAKANA),
        (_VOICED, _PLAIN),
        (_DASHES, "-" * len(_DASHES)),
    ):
        for a, b in zip(source, target, strict=True):
            mapping[a] = mapping.get(b, b)
    # Characters mapped onto voiced kana (hiragana, half-width) end on the plain kana too.
    plain = dict(zip(_VOICED, _PLAIN, strict=True))
    mapping = {a: plain.get(b, b) for a, b in mapping.items()}
    return "".join(mapping), "".join(mapping.values())


def fold(text: str) -> str:
    """Python reference of the `jp_fold` macro (for tests and single values)."""
    source, target = _fold_map()
    table = str.maketrans(source, target, _DROPPED)
    return text.translate(table).lower()


def number_tokens(text: str) -> list[str]:
    """Python reference of the `digit_tokens` macro."""
    source, target = _fold_map()
    folded = text.translate(str.maketrans(source, target))
    runs = re.findall("[0-9]+(?:[- \u3000]?[0-9]+)*", folded)
    return [re.sub("[- \u3000]", "", run) for run in runs]


def install_fold_macros(con: duckdb.DuckDBPyConnection) -> None:
    """`jp_fold(text)` and `digit_tokens(text)` on `con`."""
    source, target = _fold_map()
    dropped = "".join(f"\\x{{{ord(c):x}}}" for c in _DROPPED)
    con.execute(
        "CREATE OR REPLACE TEMP MACRO jp_fold(x) AS lower(regexp_replace("
        f"translate(x, {literal(source)}, {literal(target)}), '[{dropped}]', '', 'g'))"
    )
    # Digits joined by single hyphens (after folding, so every dash is '-') form one token.
    con.execute(
        "CREATE OR REPLACE TEMP MACRO digit_tokens(x) AS list_transform("
        "regexp_extract_all(translate(x, "
        f"{literal(source)}, {literal(target)}), '[0-9]+(?:[- \u3000]?[0-9]+)*'), "
        "lambda t: regexp_replace(t, '[- \u3000]', '', 'g'))"
    )


def removed_text_sql(names: str, places: str, numbers: str) -> str:
    """Rows (kind, value) to look for, from three queries of one VARCHAR column each: full
    names, address texts and lines (kind 'text'), and phone numbers, postcodes and
    identifiers (kind 'number'). Needs the macros of `install_fold_macros`."""
    text = (
        f"SELECT DISTINCT 'text' AS kind, jp_fold(v) AS value FROM ({names} UNION ALL "
        f"{places}) AS s(v) WHERE v IS NOT NULL"
    )
    # A number as a whole (all its digits), and each of its digit runs: "03-0123-4545 内線
    # 99991" is also written without its extension.
    number = (
        "SELECT DISTINCT 'number' AS kind, value FROM (SELECT regexp_replace(translate(v, "
        f"{literal(_fold_map()[0])}, {literal(_fold_map()[1])}), '[^0-9]', '', 'g') AS value "
        f"FROM ({numbers}) AS s(v) WHERE v IS NOT NULL UNION ALL "
        f"SELECT unnest(digit_tokens(v)) FROM ({numbers}) AS s(v) WHERE v IS NOT NULL)"
    )
    return (
        f"SELECT kind, value FROM ({text}) WHERE length(value) >= {MIN_TEXT_CHARS} "
        f"UNION ALL SELECT kind, value FROM ({number}) "
        f"WHERE length(value) >= {MIN_NUMBER_DIGITS}"
    )


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
                f"SELECT DISTINCT {column} AS v FROM read_parquet({literal(str(path))}) "
                f"WHERE {column} IS NOT NULL"
            )
            # Every substring of a folded value with a length some removed text has.
            con.execute(
                f"""
                INSERT INTO {_PIECES}
                SELECT DISTINCT {number}, 'text', substr(f, i, n) FROM (
                    SELECT f, n FROM (SELECT DISTINCT jp_fold(v) AS f FROM ({values}))
                    JOIN {_LENGTHS} ON n <= length(f)
                ), LATERAL (SELECT unnest(range(1, length(f) - n + 2)) AS i)
                """
            )
            con.execute(
                f"INSERT INTO {_PIECES} SELECT DISTINCT {number}, 'number', "
                f"unnest(digit_tokens(v)) FROM ({values})"
            )
        matched = con.execute(
            f"SELECT DISTINCT p.col FROM {_PIECES} p "
            f"SEMI JOIN {removed} r ON p.kind = r.kind AND p.v = r.value ORDER BY 1"
        ).fetchall()
        hits = [(wanted[int(c)][0], wanted[int(c)][2]) for (c,) in matched]
    finally:
        for temp in (_LENGTHS, _PIECES):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
    return hits
