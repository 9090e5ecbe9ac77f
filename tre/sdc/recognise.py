"""What a table is, whatever its layout: records (row-level microdata) or persons laid out as
columns, as opposed to an aggregate (one row per cell of a grouping).

- An aggregate has one row per combination of its labels (a GROUP BY), and its label
  combinations fill most of their grid. Records repeat label combinations (two claims of
  the same kind), or spread thinly over a huge grid (exact dates x ages x areas).
- A transposed person matrix has attributes as row labels (age, sex, region, yearly
  values) and one column per person: its columns mix text and numbers, or its headers are
  identifiers or one-per-person labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tre.sdc.formulas import formula_mask
from tre.sdc.identifiers import extract_matches, identifier_header_mask, identifier_headers
from tre.sdc.roles import TOTAL_LABEL, Roles
from tre.sdc.text import TableData

_ATTRIBUTE = re.compile(
    r"(?i)^\s*(age|age_years|sex|gender|birth.*|dob|year_of_birth|region|prefecture|city|"
    r"municipality|post.?code|zip|postal.*|weight|height|bmi|diagnos.*|icd.*|ethnicity|race|"
    r"occupation|death.*|admission.*|discharge.*|cost.*|visits?.*|"
    r"年齢|性別|生年.*|都道府県|市区町村|住所|郵便番号|体重|身長|病名|傷病名|診断.*|死亡.*|入院.*|費用.*)\s*$"
)
# "patient 3", "Patient B", "P12", "case_c", "患者A": a label for one person. A lowercase
# letter straight after the word is a plural (patients, cases), not a label.
_PERSON_HEADER = re.compile(
    r"^\s*((?i:patient|person|subject|case|pt|p|id|individual|participant|member)"
    r"([\s_#.:-]*[0-9]+|[\s_#.:-]+[A-Za-z]|[A-Z])"
    r"|(患者|症例|対象者|被保険者)[\s_#.:-]*([0-9０-９]+|[A-Za-zＡ-Ｚａ-ｚ]))\s*$"
)
_FULL_DATE = (
    r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T].*)?$"
    r"|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$"
    r"|^\d{4}年\d{1,2}月\d{1,2}日$"
)
_STATISTIC = re.compile(
    r"(?i)(^n$|^n_|_n$|count|freq|number|patients|persons|people|cases|mean|avg|average|median|"
    r"sum|total|std|sd$|variance|rate|ratio|pct|percent|proportion|share|"
    r"人数|件数|患者数|例数|平均|合計|中央値|割合|率|標準偏差)"
)
_SEX_VALUE = r"(?i)^(m|f|male|female|man|woman|男|女|男性|女性|1|2)$"
QUASI_IDENTIFIER = re.compile(
    r"(?i)^(age|age_years|sex|gender|birth.*|dob|post.?code|zip.*|postal.*|prefecture|region|"
    r"city|municipality|ward|ethnicity|ethnic_group|race|occupation|marital.*|nationality|"
    r".*date.*|.*_dt|diagnos.*|icd.*|dx.*|"
    r"性別|年齢|都道府県|市区町村|職業|国籍|.*日|.*年月日|病名|傷病名|診断.*)$"
)


@dataclass(frozen=True)
class Records:
    """A table recognised as row-level records."""

    quasi_identifiers: list[str]
    unique_rows: np.ndarray  # row numbers whose combination of quasi-identifiers is unique
    rows: int

    @property
    def unique_share(self) -> float:
        return len(self.unique_rows) / self.rows if self.rows else 0.0


def _keys(table: TableData, columns: list[str]) -> pa.Array:
    parts = [pc.utf8_trim_whitespace(table.raw.column(c).combine_chunks()) for c in columns]
    return pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]


def _not_total(table: TableData, labels: list[str]) -> np.ndarray:
    keep = np.ones(table.num_rows, dtype=bool)
    for name in labels:
        column = table.raw.column(name).combine_chunks()
        hits = pc.match_substring_regex(column, TOTAL_LABEL.pattern, ignore_case=True)
        keep &= ~np.asarray(pc.fill_null(hits, False).to_numpy(zero_copy_only=False))
    return keep


def _share(column: pa.Array, pattern: str) -> float:
    column = pc.utf8_trim_whitespace(column)
    non_empty = pc.not_equal(column, "")
    total = int(pc.sum(non_empty).as_py() or 0)
    hits = int(pc.sum(pc.and_(pc.match_substring_regex(column, pattern), non_empty)).as_py() or 0)
    return hits / total if total else 0.0


def quasi_identifiers(table: TableData, columns: list[str]) -> list[str]:
    """Columns that describe a person: by name (age, sex, area, dates, diagnosis, in English
    or Japanese) or by value (exact dates, sex codes)."""
    found = []
    for name in columns:
        column = table.raw.column(name).combine_chunks()
        if (
            QUASI_IDENTIFIER.match(name.strip())
            or _share(column, _FULL_DATE) >= 0.8
            or _share(column, _SEX_VALUE) >= 0.95
        ):
            found.append(name)
    return found


def records(table: TableData, roles: Roles, min_rows: int) -> Records | None:
    """The table as row-level records, or None when it is an aggregate (or too small to
    tell). Label columns are the keys an aggregate would be grouped by."""
    keys = [n for n in roles.labels if n in table.names]
    if not keys or table.num_rows < min_rows:
        return None
    keep = _not_total(table, keys)
    rows = int(keep.sum())
    if rows < min_rows:
        return None
    key = pc.filter(_keys(table, keys), pa.array(keep))
    distinct = int(pc.count_distinct(key).as_py() or 0)
    repeated = distinct < rows
    # Columns named as counts or statistics (n, mean_cost, 割合) make an aggregate; a
    # measure (cost, 点数) may be a record's own.
    if any(_STATISTIC.search(n) for n in roles.values if n in roles.named):
        return None
    if not repeated:
        levels = [
            int(
                pc.count_distinct(
                    pc.filter(table.raw.column(c).combine_chunks(), pa.array(keep))
                ).as_py()
                or 0
            )
            for c in keys
        ]
        grid = float(np.prod(np.asarray(levels, dtype=float)))
        if len(keys) < 2 or grid <= 4 * rows:
            return None  # one row per cell of a (mostly filled) grid: an aggregate
    qis = quasi_identifiers(table, keys) or keys
    qi_key = _keys(table, qis)
    counts = pc.value_counts(pc.filter(qi_key, pa.array(keep)))
    singles = pc.filter(counts.field("values"), pc.equal(counts.field("counts"), 1))
    unique = np.asarray(
        pc.fill_null(pc.is_in(qi_key, value_set=singles), False).to_numpy(zero_copy_only=False)
    )
    return Records(qis, np.flatnonzero(unique & keep), rows)


def transposed(table: TableData) -> bool:
    """Persons laid out as columns."""
    if len(table.names) < 3 or table.num_rows < 1:
        return False
    first, headers = table.names[0], table.headers[1:]
    ids = identifier_headers(headers)
    if ids >= 2 and ids >= 0.5 * len(headers):
        return True
    if table.num_rows < 2 or table.num_rows > 200:  # attributes of a person are few rows
        return False
    labels = table.raw.column(first).combine_chunks().to_pylist()
    attributes = sum(1 for v in labels if v and _ATTRIBUTE.match(str(v)))
    if attributes < 2:
        return False
    person_like = int(_person_labels(headers).sum())
    if person_like >= 2 and person_like >= 0.5 * len(headers):
        return True
    # A column per person mixes an attribute's text (sex, region) with numbers (age, cost).
    columns = table.names[1:]
    mixed = sum(1 for c in columns if c not in table.numeric and _mixes_types(table, c))
    return mixed >= 2 and mixed >= 0.5 * len(headers)


def record_headers(table: TableData, ids: pa.Array | None = None) -> np.ndarray:
    """Which headers are values from the records rather than names of variables: identifier
    tokens, the extract's identifiers (whole or shortened), one-per-person labels (patient 1,
    患者A), formulas, and every header but the first of a transposed table of persons. The
    checks name those columns by position (`tre.sdc.columns`)."""
    headers = table.headers
    hidden = identifier_header_mask(headers) | _person_labels(headers)
    if headers:
        hidden |= np.asarray(formula_mask(pa.array(headers, pa.string())).to_pylist(), dtype=bool)
        hidden |= extract_matches(pa.array(headers, pa.string()), ids)
    if transposed(table):
        hidden[1:] = True
    return hidden


def _person_labels(headers: list[str]) -> np.ndarray:
    return np.array([bool(_PERSON_HEADER.match(h)) for h in headers], dtype=bool)


def _mixes_types(table: TableData, name: str) -> bool:
    column = pc.utf8_trim_whitespace(table.raw.column(name).combine_chunks())
    non_empty = int(pc.sum(pc.not_equal(column, "")).as_py() or 0)
    numbers = int(pc.sum(pc.match_substring_regex(column, r"^[+-]?\d+(\.\d+)?$")).as_py() or 0)
    return non_empty >= 2 and 0.2 * non_empty <= numbers <= 0.8 * non_empty


__all__ = [
    "QUASI_IDENTIFIER",
    "Records",
    "quasi_identifiers",
    "record_headers",
    "records",
    "transposed",
]
