"""Identifiers of any shape, recognised without the extract.

A person identifier is a token that names one unit: a pseudonym of any length (hexadecimal,
base32/64, another TRE's), a UUID, a long record or insurer number, a letters-and-digits code.
Category labels (ICD-10 with or without a description, ATC, YJ, JLAC10/JLAC11, DPC, years,
dates, ranges) share some of those shapes. What tells them apart:

- *shape*: strong tokens (UUIDs, long hexadecimal or base64 strings) belong to no coding
  system; a coding system's codes have its own format (a letter where a digit never is, fixed
  fields), which the shapes below know;
- *randomness*: pseudonyms are issued at random, so a column of them has one length, every
  position varying, and letters and digits mixed at the same positions; category labels have a
  format or are words (`random_tokens`). This finds short pseudonyms under any column name;
- *cardinality*: an identifier names one row each (distinct values); a category repeats across
  the rows of a long table;
- *what a row is*: a row that counts several people (a count of patients of 2 or more) is a
  group, so its label is a category, not one person;
- *the column's name*: named for persons or records (identifiers), or for a coding system or
  category (not); and codes beside counts are short (coding systems' codes are), while a long
  distinct number of one length beside a count is a person's or a record's.

All tests run over Arrow arrays at once (RE2 patterns, no per-value Python).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SAMPLE = 5000
_HEX = "[0-9a-fA-F]"
UUID = f"^{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}$"
_STRONG = (
    UUID,
    f"^{_HEX}{{16,}}$",  # hexadecimal digests and pseudonyms
    r"^[A-Za-z0-9+/_=-]{16,}$",  # base32/base64 pseudonyms (letters and digits checked below)
)
# A token: no spaces, starts with a letter or digit, at least 6 characters.
_CODE_LIKE = r"^[A-Za-z0-9][A-Za-z0-9_.:/#-]{5,}$"
_HAS_DIGIT = r"[0-9]"
_HAS_LETTER = r"[A-Za-z]"
_WORD = r"[a-z]{4,}|[A-Z][a-z]{3,}"  # cost_2019, Visits2020: words, not random letters
_LONG_INTEGER = r"^[0-9]{7,}$"
_DIGIT_GROUPS = r"^[0-9]{2,}(-[0-9]{2,}){1,3}$"  # insurer/record numbers with hyphens
# Shapes of coding systems and calendar labels, which are categories, not persons.
_CATEGORY_SHAPES = "|".join(
    (
        r"^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,2})?$",  # ICD-10 (E11, E11.9, E119)
        # ICD-10 with an extension or a description (E11.9:T2DM, I10_HTN, S72.001A-fracture)
        r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?[ _:/|(-].+$",
        # JLAC10: analyte (digit, letter, 3 digits), identification, material, method, result
        r"^[1-9][A-Z][0-9]{3}-?[0-9]{4}-?[0-9]{3}-?[0-9]{3}(-?[0-9]{2})?$",
        r"^[A-Z][0-9A-Z]{4}-?[0-9]{4}-?[0-9]{3}-?[0-9]{3}-?[0-9A-Z]{2}$",  # JLAC11
        r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$",  # ATC (A10BA02)
        r"^[0-9]{7}[A-Z][0-9]{3}[0-9A-Z]$",  # YJ code (2149039F1020)
        r"^(19|20)[0-9]{2}([-/.]?[0-9]{1,2}){0,2}([T ].*)?$",  # years, months, dates
        r"^[0-9]{1,2}[-/.][0-9]{1,2}[-/.](19|20)[0-9]{2}$",
        r"^(FY|CY|H|R|S)?[0-9]{2,4}([QHMW][0-9]{1,2})?$",  # fiscal years, quarters
        r"^[0-9]+(\.[0-9]+)?[-~][0-9]+(\.[0-9]+)?$",  # ranges (40-49)
        r"^[A-Z]{2}-[0-9A-Z]{1,3}$",  # ISO 3166-2 (JP-13)
        r"^v?[0-9]+(\.[0-9]+){1,3}$",  # versions, decimals
    )
)
# DPC (診断群分類) codes: 14 characters, digits and "x" for a field that does not apply.
_DPC = r"^[0-9]{6}[0-9x]{8}$"
_PERSON_COLUMN = re.compile(
    r"(?i)(patient|person|subject|member|individual|participant|beneficiary|insured|"
    r"pid|mrn|nhs|record|receipt|claim_?id|case_?id|^id$|_id$|^id_|uuid|pseudonym|token|"
    r"card|_no$|^no_|number$|"
    r"患者|被保険者|個人|対象者|レセプト|番号|(?-i:ID)(?![a-z]))"  # 患者ID; not "provider"
)
_CATEGORY_COLUMN = re.compile(
    r"(?i)(code|icd|atc|yj|drug|medicine|diagnos|disease|procedure|category|class|group|"
    r"type|region|area|prefecture|municipality|facility|hospital|department|hot|jlac|dpc|"
    r"medis|loinc|snomed|コード|"
    r"病名|傷病|医薬品|薬剤|診療行為|分類|区分|地域|都道府県|市区町村|施設|医療機関|検査|項目|"
    r"品目|診断群)"
)


@dataclass(frozen=True)
class TokenShapes:
    """Per-value masks over one string array (nulls as False)."""

    strong: np.ndarray
    medium: np.ndarray  # includes strong
    loose: np.ndarray  # any token with a digit outside coding systems (for person columns)
    non_empty: np.ndarray


def _mask(array: pa.Array, pattern: str) -> np.ndarray:
    hits = pc.match_substring_regex(array, pattern)
    return np.asarray(pc.fill_null(hits, False).to_numpy(zero_copy_only=False), dtype=bool)


def shapes(values: pa.Array) -> TokenShapes:
    """Classify every value of a string array as a strong or medium identifier token."""
    values = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    non_empty = np.asarray(
        pc.fill_null(pc.not_equal(values, ""), False).to_numpy(zero_copy_only=False), dtype=bool
    )
    digit = _mask(values, _HAS_DIGIT)
    letter = _mask(values, _HAS_LETTER)
    category = _mask(values, _CATEGORY_SHAPES) | (_mask(values, _DPC) & _mask(values, "x"))
    uuid_or_hex = _mask(values, _STRONG[0]) | (_mask(values, _STRONG[1]) & digit & letter)
    base64 = _mask(values, _STRONG[2]) & digit & letter & ~uuid_or_hex
    if base64.any():
        base64 &= _random_looking(values, base64)
    strong = uuid_or_hex | base64 | (_mask(values, _STRONG[1]) & _mask(values, r"^.{20,}$"))
    strong &= ~category  # a JLAC10 code (3D010000002327101) is hexadecimal too
    # Codes, not words: a run of four letters is a word (cost_2019, visits_q1).
    word = _mask(values, _WORD)
    code_like = _mask(values, _CODE_LIKE) & ~category
    mixed = code_like & digit & letter & ~word
    numbers = (_mask(values, _LONG_INTEGER) | _mask(values, _DIGIT_GROUPS)) & ~category
    medium = strong | mixed | numbers
    loose = medium | (code_like & (digit | ~word))
    return TokenShapes(strong & non_empty, medium & non_empty, loose & non_empty, non_empty)


def _random_looking(values: pa.Array, candidates: np.ndarray) -> np.ndarray:
    """Random tokens change character class (lower, upper, digit) often; words joined by
    underscores (outpatient_visits_2019) do not. Only the few candidates are looked at."""
    out = np.zeros(len(values), dtype=bool)
    where = np.flatnonzero(candidates)[:20_000]
    for i, text in zip(where, pc.take(values, pa.array(where)).to_pylist(), strict=True):
        classes = [c.isdigit() * 1 + c.isupper() * 2 + (not c.isalnum()) * 3 for c in text]
        changes = sum(a != b for a, b in itertools.pairwise(classes))
        out[i] = changes >= 0.3 * len(text)
    return out


def _share(mask: np.ndarray, non_empty: np.ndarray) -> float:
    total = int(non_empty.sum())
    return float(mask.sum()) / total if total else 0.0


def person_column(name: str) -> bool:
    """Whether a header names persons or records (patient_id, 被保険者番号, claim_id, ...)."""
    return bool(_PERSON_COLUMN.search(name)) and not _CATEGORY_COLUMN.search(name)


def identifier_column(
    name: str, values: pa.Array, counts_by_code: bool, rows_are_groups: bool = False
) -> bool:
    """Whether a label column holds identifiers of persons or records.

    `counts_by_code`: the table has count columns, so a distinct code per row may be a
    category of a frequency table rather than a person. `rows_are_groups`: every row counts
    several people, so its label names a group, not one person.
    """
    values = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    filled = pc.filter(values, pc.fill_null(pc.not_equal(values, ""), False))
    n = len(filled)
    if n < 2:
        return False
    # Cardinality from every value; shapes from a spread sample of a long column.
    distinct = float(pc.count_distinct(filled).as_py() or 0) / n
    if len(values) > SAMPLE:
        values = pc.take(values, pa.array(np.linspace(0, len(values) - 1, SAMPLE, dtype=np.int64)))
    found = shapes(values)
    if _share(found.strong, found.non_empty) >= 0.9:
        return True
    if _PERSON_COLUMN.search(name) and not _CATEGORY_COLUMN.search(name):
        return _share(found.loose, found.non_empty) >= 0.8 and distinct >= 0.5
    if n < MIN_TOKENS or distinct < 0.9 or rows_are_groups:
        return False  # a label that repeats, or rows of several people: a category
    if _share(random_tokens(values), found.non_empty) >= 0.8:
        return True  # pseudonyms issued at random, whatever the column is called
    if _share(found.medium, found.non_empty) < 0.8 or _CATEGORY_COLUMN.search(name):
        return False
    lengths = np.asarray(
        pc.utf8_length(pc.utf8_trim_whitespace(values)).to_numpy(zero_copy_only=False)
    )[found.medium]
    # Coding systems' codes are short; a long distinct number is a person's or a record's.
    if counts_by_code and (len(lengths) == 0 or np.median(lengths) < 10):
        return False
    return _uniform_length(values, found.medium)


MIN_TOKENS = 5  # fewer values say too little about how they were issued
_SEPARATORS = r"[^A-Za-z0-9]"
_VOWELS = frozenset(b"aeiouyAEIOUY")


def random_tokens(values: pa.Array) -> np.ndarray:
    """Mask of `values` that belong to a set of tokens issued at random (pseudonyms): at
    least MIN_TOKENS of one length of 6 or more letters and digits (separators aside), no
    position where one character prevails and most positions varying, and letters and
    digits mixed at the same positions (or, letters only, too few vowels for words). A coding
    system's codes have a format (fixed fields, a letter where a digit never is), record
    numbers a fixed prefix, labels are words: none of them pass. All values at once: one
    pass per character position."""
    values = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    stripped = pc.replace_substring_regex(values, _SEPARATORS, "")
    ascii_ = pc.fill_null(pc.and_(pc.string_is_ascii(values), pc.not_equal(stripped, "")), False)
    lengths = np.asarray(pc.fill_null(pc.utf8_length(stripped), 0).to_numpy(zero_copy_only=False))
    usable = np.asarray(ascii_.to_numpy(zero_copy_only=False), dtype=bool)
    out = np.zeros(len(values), dtype=bool)
    if usable.sum() < MIN_TOKENS:
        return out
    modes, counts = np.unique(lengths[usable], return_counts=True)
    length = int(modes[np.argmax(counts)])
    chosen = usable & (lengths == length)
    n = int(chosen.sum())
    if length < 6 or n < MIN_TOKENS or n < 0.8 * usable.sum():
        return out
    fixed = pc.cast(pc.filter(stripped, pa.array(chosen)), pa.binary(length))
    start = fixed.offset * length
    grid = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)[start : start + n * length]
    grid = grid.reshape(n, length)
    top = np.array([np.bincount(grid[:, j], minlength=256).max() for j in range(length)])
    # A character prevails where chance would rarely put it: in most values, and 4 or more.
    if top.max() >= max(4, 0.6 * n) or (top <= 0.5 * n).mean() < 0.75:
        return out
    digits = (grid >= ord("0")) & (grid <= ord("9"))
    kind = np.where(digits, 0, np.where(grid <= ord("Z"), 1, 2))  # digit, upper, lower
    if (~digits).any(axis=1).mean() < 0.8:
        return out  # numbers
    if len(np.unique(kind)) > 1:
        mixed = (kind.min(axis=0) != kind.max(axis=0)).mean()
        if mixed < 0.5:
            return out  # a format: letter fields and digit fields
    elif np.isin(grid, list(_VOWELS)).mean() >= 0.3:
        return out  # words
    out[chosen] = True
    return out


def _uniform_length(values: pa.Array, mask: np.ndarray) -> bool:
    """Identifiers are issued with one length (or nearly); category codes vary."""
    lengths = np.asarray(
        pc.utf8_length(pc.utf8_trim_whitespace(values)).to_numpy(zero_copy_only=False)
    )[mask]
    if len(lengths) == 0:
        return False
    _, counts = np.unique(lengths, return_counts=True)
    return counts.max() >= 0.8 * len(lengths)


def identifier_header_mask(headers: Sequence[str]) -> np.ndarray:
    """Which headers are identifier tokens (strong, or medium outside coding systems), or
    belong to a set of tokens issued at random."""
    if not headers:
        return np.zeros(0, dtype=bool)
    tokens = pa.array(list(headers), pa.string())
    return shapes(tokens).medium | random_tokens(tokens)


def identifier_headers(headers: Sequence[str]) -> int:
    """How many headers are identifier tokens."""
    return int(identifier_header_mask(headers).sum())


def strong_tokens(text_tokens: pa.Array) -> int:
    """How many distinct strong identifier tokens (UUIDs, digests, base64) a text holds."""
    found = shapes(text_tokens)
    return int(found.strong.sum())


def as_id_array(person_ids: object) -> pa.Array | None:
    """The extract's person identifiers (a set, an Arrow array, a one-column DuckDB relation)
    as one string array."""
    if person_ids is None:
        return None
    if isinstance(person_ids, duckdb.DuckDBPyRelation):
        table = person_ids.to_arrow_table()
        return pc.cast(table.column(0).combine_chunks(), pa.string())
    if isinstance(person_ids, pa.ChunkedArray):
        return pc.cast(person_ids.combine_chunks(), pa.string())
    if isinstance(person_ids, pa.Array):
        return pc.cast(person_ids, pa.string())
    return pa.array([str(v) for v in person_ids], pa.string())  # type: ignore[attr-defined]


def extract_matches(tokens: pa.Array, ids: pa.Array | None) -> np.ndarray:
    """Mask of `tokens` that are the extract's identifiers, whole or shortened."""
    tokens = pc.utf8_trim_whitespace(pc.cast(tokens, pa.string()))
    if ids is None or not len(ids):
        return np.zeros(len(tokens), dtype=bool)
    whole = np.asarray(
        pc.fill_null(pc.is_in(tokens, value_set=ids), False).to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    return whole | shortened_matches(tokens, ids)


def shortened_matches(tokens: pa.Array, ids: pa.Array, min_length: int = 8) -> np.ndarray:
    """Mask of `tokens` that are a prefix or suffix (at least `min_length` characters, but
    shorter than the identifier) of one of `ids`: a shortened pseudonym is still one."""
    tokens = pc.utf8_trim_whitespace(pc.cast(tokens, pa.string()))
    lengths = np.asarray(pc.fill_null(pc.utf8_length(tokens), 0).to_numpy(zero_copy_only=False))
    out = np.zeros(len(tokens), dtype=bool)
    if len(ids) == 0:
        return out
    id_lengths = pc.utf8_length(ids)
    longest = int(pc.max(id_lengths).as_py() or 0)
    candidates = np.unique(lengths[(lengths >= min_length) & (lengths < longest)])
    has_letter = _mask(tokens, _HAS_LETTER)
    for length in candidates[:16]:  # a handful of lengths; more are not pseudonym cuts
        at = lengths == length
        longer = pc.filter(ids, pc.greater(id_lengths, int(length)))
        cut = pa.concat_arrays(
            [
                pc.utf8_slice_codeunits(longer, 0, int(length)),
                pc.utf8_slice_codeunits(longer, -int(length)),
            ]
        )
        hits = np.asarray(
            pc.fill_null(pc.is_in(tokens, value_set=pc.unique(cut)), False).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        )
        # A short cut of digits only could be a number that happens to match.
        out |= at & hits & (has_letter | (lengths >= 12))
    return out


__all__ = [
    "UUID",
    "TokenShapes",
    "as_id_array",
    "extract_matches",
    "identifier_column",
    "identifier_header_mask",
    "identifier_headers",
    "person_column",
    "random_tokens",
    "shapes",
    "shortened_matches",
    "strong_tokens",
]
