"""Identifier systems as person keys: how an identifier value is normalised and hashed.

A person can be named by an identifier instead of a resource id: a FHIR logical reference
(`subject.identifier`), a patient's identifier of the source's linkage system, or the person
column(s) of a tabular source. Each gives a keyed pseudonym:

- the source's linkage system: `HMAC(key, system + "|" + normalised value)`, the same in
  every source that shares the system (that is what linkage means);
- any other system: `HMAC(key, source + "|" + system + "|" + normalised value)`, which links
  only within the source (resource ids cannot contain "|", so this never equals the pseudonym
  of a resource id).

The Japanese insurance identity (保険者番号:記号:番号:枝番, JP-CLINS system
`JP_Insurance_memberID`) arrives in several spellings of the same number (full-width digits,
hyphens, spaces, a 6-digit 国民健康保険 insurer number or its 8-digit form), so its values
are normalised before hashing; other systems' values are taken as they are.

This module is the one owner of these rules: the SQL macros for ingest and the Python
reference implementation (for tests and single values) follow the same definition.
"""

from __future__ import annotations

import duckdb

from tre.sql import literal

# 被保険者番号 in one string: 保険者番号:記号:番号:枝番 (JP-CLINS NamingSystem).
INSURANCE_MEMBER_SYSTEM = "http://jpfhir.jp/fhir/clins/Idsystem/JP_Insurance_memberID"

_FULL_WIDTH = "".join(
    chr(c) for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
)
_HALF_WIDTH = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Spaces (ASCII, ideographic) and the hyphens, dashes and minus signs people type in numbers.
# Not the katakana prolonged sound mark ー, which is part of words.
_SEPARATORS = " \t\u3000-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\uff70"
_SEPARATOR_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _SEPARATORS) + "]"
_FOLD = str.maketrans(_FULL_WIDTH, _HALF_WIDTH, _SEPARATORS)


def normalise_insurance(value: str) -> str:
    """The canonical form of an insurance identity `保険者番号:記号:番号:枝番`.

    Full-width letters and digits become half-width, spaces and hyphens go, a 6-digit
    insurer number (国民健康保険) gets the two leading zeros of its 8-digit form and a
    one-digit branch number its leading zero. A value not in four parts is only folded."""
    parts = [part.translate(_FOLD) for part in value.split(":")]
    if len(parts) != 4:
        return ":".join(parts)
    insurer, symbol, number, branch = parts
    if insurer.isascii() and insurer.isdigit() and len(insurer) == 6:
        insurer = "00" + insurer
    if branch.isascii() and branch.isdigit() and len(branch) == 1:
        branch = "0" + branch
    return ":".join((insurer, symbol, number, branch))


def normalise(system: str, value: str) -> str:
    """A value of `system` as it is hashed."""
    return normalise_insurance(value) if system == INSURANCE_MEMBER_SYSTEM else value


def key_message(system: str, value: str, source: str, linkage_system: str | None) -> str:
    """The message HMAC'd for a person named by (system, value) in `source` (reference form)."""
    if system == linkage_system:
        return f"{system}|{normalise(system, value)}"
    return f"{source}|{system}|{normalise(system, value)}"


def install_linkage_macros(
    con: duckdb.DuckDBPyConnection, source: str, linkage_system: str | None
) -> None:
    """`id_norm(system, value)`, `linkage_key(system, value)` (the cross-source pseudonym) and
    `person_key(system, value)` (linkage key for the linkage system, else source-local).
    Needs `lake_hmac` (tre.lake.pseudonymise) on `con`."""
    # Chained replace: DuckDB's translate() rebuilds its map for every value (slow).
    digits = "x"
    for wide, narrow in zip(_FULL_WIDTH[:10], _HALF_WIDTH[:10], strict=True):
        digits = f"replace({digits}, '{wide}', '{narrow}')"
    letters = f"translate({digits}, {literal(_FULL_WIDTH[10:])}, {literal(_HALF_WIDTH[10:])})"
    con.execute(
        "CREATE OR REPLACE TEMP MACRO jp_id_fold(x) AS regexp_replace("
        f"CASE WHEN regexp_matches({digits}, '[Ａ-Ｚａ-ｚ]') THEN {letters} ELSE {digits} END, "
        f"'{_SEPARATOR_CLASS}', '', 'g')"
    )
    # Four parts: pad a 6-digit insurer number and a 1-digit branch number.
    con.execute(
        "CREATE OR REPLACE TEMP MACRO jp_insurance_parts(p) AS CASE WHEN len(p) = 4 THEN "
        "concat_ws(':', CASE WHEN regexp_full_match(p[1], '[0-9]{6}') THEN '00' || p[1] "
        "ELSE p[1] END, p[2], p[3], "
        "CASE WHEN regexp_full_match(p[4], '[0-9]') THEN '0' || p[4] ELSE p[4] END) "
        "ELSE array_to_string(p, ':') END"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO id_norm(system, value) AS CASE "
        f"WHEN system = {literal(INSURANCE_MEMBER_SYSTEM)} THEN "
        "jp_insurance_parts(list_transform(string_split(value, ':'), lambda x: jp_id_fold(x))) "
        "ELSE value END"
    )
    con.execute(
        "CREATE OR REPLACE TEMP MACRO linkage_key(system, value) AS "
        "lake_hmac(system || '|' || id_norm(system, value))"
    )
    linked = literal(linkage_system) if linkage_system else "NULL::VARCHAR"
    con.execute(
        "CREATE OR REPLACE TEMP MACRO person_key(system, value) AS CASE "
        "WHEN system IS NULL OR value IS NULL THEN NULL "
        f"WHEN system = {linked} THEN linkage_key(system, value) "
        f"ELSE lake_hmac({literal(source + '|')} || system || '|' || id_norm(system, value)) END"
    )
