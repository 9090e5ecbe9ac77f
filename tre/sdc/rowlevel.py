"""Row-level data disguised as a table: identifiers, persons as rows, exact dates, postcodes.

All matching is vectorised over Arrow arrays; the person identifiers of the project's extract
are matched by value, so renaming the column does not hide them.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tre.sdc._i18n import _
from tre.sdc.findings import Finding
from tre.sdc.identifiers import (
    as_id_array,
    extract_matches,
    identifier_column,
    person_column,
)
from tre.sdc.params import SdcParams
from tre.sdc.recognise import records, transposed
from tre.sdc.roles import Roles
from tre.sdc.tables import cells
from tre.sdc.text import TableData

_FULL_DATE = (
    r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T].*)?$"
    r"|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$"
    r"|^\d{4}年\d{1,2}月\d{1,2}日$"
)
_POSTCODE = (
    r"^(?i:[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$"  # UK
    r"|^〒?\s?\d{3}[-ー－]\d{4}$|^〒\s?\d{7}$"  # Japan
    r"|^\d{5}-\d{4}$"  # US ZIP+4
)
_BIRTH_NAME = re.compile(r"(?i)(birth|dob|生年月日|誕生)")
_POSTCODE_NAME = re.compile(r"(?i)(post.?code|zip|postal|郵便)")
_PERSON_NAME = re.compile(
    r"(?i)^(patient|person|subject|member|individual|pid|mrn|nhs.?number|患者|被保険者)"
    r"(_?id|_?no|番号|ID)?$"
    r"|^(patient|person|subject|member)_"
)
_RESIDUAL_NAME = re.compile(
    r"(?i)(resid|residual|fitted|predicted|prediction|yhat|y_hat|leverage|cooks?|hat_?diag"
    r"|influence|残差|予測値)"
)
_RANK_NAME = re.compile(r"(?i)^(rank|top|順位|ranking)$")
_PERSONS_COUNT = re.compile(
    r"(?i)(patients|persons|people|individuals|subjects|participants|"
    r"人数|患者数|対象者数|例数|受診者数)"
)


#: Rules whose `block` says a file is data about individuals rather than a summary of them.
#: Such a file's content is shown to no one, checkers included, unless an admin overrides
#: the check (policy `airlock.read_file`).
PERSON_LEVEL_RULES = frozenset(
    {
        "person-identifier",
        "pseudonym-like",
        "transposed-persons",
        "rows-are-persons",
        "person-list",
        "per-person-model-values",
        "date-of-birth",
        "full-postcode",
        "unique-combination",
    }
)


def _share(column: pa.Array, pattern: str) -> tuple[float, np.ndarray]:
    non_empty = pc.not_equal(pc.utf8_trim_whitespace(column), "")
    hits = pc.and_(pc.match_substring_regex(column, pattern), non_empty)
    total = int(pc.sum(non_empty).as_py() or 0)
    mask = np.asarray(pc.fill_null(hits, False).to_numpy(zero_copy_only=False))
    return (mask.sum() / total if total else 0.0), mask


def row_level_rules(
    table: TableData,
    roles: Roles,
    params: SdcParams,
    person_ids: object = None,
    n_persons: int | None = None,
) -> list[Finding]:
    findings: list[Finding] = []
    ids = as_id_array(person_ids)
    rows = table.num_rows
    id_cells: list[tuple[int, str]] = []
    if rows and ids is not None and len(ids):
        # Numbers can be identifiers too (integer ids): match every column's text, whole or
        # shortened to a prefix or suffix.
        found = extract_matches(table.flat(), ids).reshape(len(table.names), rows)
        cols, where = np.nonzero(found)
        id_cells = sorted((int(r), table.names[int(c)]) for c, r in zip(cols, where, strict=True))
    if id_cells:
        findings.append(
            Finding(
                "person-identifier",
                "block",
                _(
                    "{n} cells hold person identifiers of this project's extract (whole or "
                    "shortened): this is row-level data and cannot leave."
                ).format(n=len(id_cells)),
                columns=sorted({c for _r, c in id_cells}),
                cells=id_cells,
            )
        )
    matched = {c for _r, c in id_cells}
    counts_by_code = bool(roles.counts)
    unnamed = [n for n in table.names if n not in roles.named and n not in matched]
    long_numbers = _long_numbers(table, [n for n in unnamed if n not in roles.labels])
    candidates = [n for n in unnamed if n in roles.labels or person_column(n) or n in long_numbers]
    groups = _rows_are_groups(table, roles)
    id_like = [
        n
        for n in candidates
        if rows >= 2
        and identifier_column(
            n,
            table.raw.column(n).combine_chunks(),
            counts_by_code and n not in roles.counts,
            groups,
        )
    ]
    if id_like:
        findings.append(
            Finding(
                "pseudonym-like",
                "block",
                _(
                    "Columns hold identifiers (pseudonyms, UUIDs, record or insurer numbers, "
                    "codes of one person each): this is row-level data."
                ),
                columns=id_like,
            )
        )
    if transposed(table):
        findings.append(
            Finding(
                "transposed-persons",
                "block",
                _(
                    "Each column describes one person (the rows are attributes such as age, "
                    "sex or area, or the headers are identifiers): a transposed table of "
                    "individuals."
                ),
            )
        )
    findings += _header_ids(table, ids)
    findings += _person_rows(table, roles, params, n_persons)
    findings += _dates_and_postcodes(table, roles, params)
    if not id_like and not id_cells:
        findings += _records(table, roles, params)
    return findings


def _rows_are_groups(table: TableData, roles: Roles) -> bool:
    """Every row counts two people or more (a column counting patients or persons): a row is
    a group, and its label names the group, not one person."""
    for name in roles.counts:
        if _PERSONS_COUNT.search(name):
            low = pc.min(table.numeric[name]).as_py()
            if low is not None and low >= 2:
                return True
    return False


def _long_numbers(table: TableData, columns: list[str]) -> set[str]:
    """Columns of whole numbers of nine digits or more: too large to count people in a cell,
    the size of identifiers (a column of counts or sums is not taken for ids below that)."""
    if not columns or not table.num_rows:
        return set()
    hits = table.grid(
        pc.match_substring_regex(pc.utf8_trim_whitespace(table.flat(columns)), r"^[0-9]{9,}$"),
        columns,
    )
    return {c for c, share in zip(columns, hits.mean(axis=1), strict=True) if share >= 0.8}


def _header_ids(table: TableData, ids: pa.Array | None) -> list[Finding]:
    """Headers that are the extract's person identifiers (whole or shortened)."""
    if not extract_matches(pa.array(table.headers, pa.string()), ids).any():
        return []
    return [
        Finding(
            "transposed-persons",
            "block",
            _("Column headers are person identifiers: a transposed table of individuals."),
        )
    ]


def _person_rows(
    table: TableData, roles: Roles, params: SdcParams, n_persons: int | None
) -> list[Finding]:
    findings = []
    rows = table.num_rows
    if n_persons and rows >= max(params.threshold, 0.5 * n_persons) and not roles.wide:
        findings.append(
            Finding(
                "rows-are-persons",
                "block",
                _(
                    "The file has {rows} rows for {persons} persons in the extract: it looks "
                    "like one row per person."
                ).format(rows=rows, persons=n_persons),
            )
        )
    person_cols = [n for n in roles.labels if _PERSON_NAME.search(n)]
    for name in person_cols:
        column = table.raw.column(name).combine_chunks()
        # Mostly distinct values in a column named for persons: rows are individuals.
        if rows >= 2 and pc.count_distinct(column).as_py() >= max(2, 0.5 * rows):
            findings.append(
                Finding(
                    "person-list",
                    "block",
                    _(
                        "The rows are individuals (a list of patients or records, such as a "
                        "top-N list)."
                    ),
                    columns=[name],
                )
            )
    residual_cols = [n for n in table.names if _RESIDUAL_NAME.search(n)]
    if residual_cols and rows >= params.threshold:
        findings.append(
            Finding(
                "per-person-model-values",
                "block",
                _(
                    "Residuals, fitted or predicted values per row describe individuals; "
                    "publish summaries instead."
                ),
                columns=residual_cols,
            )
        )
    rank_cols = [n for n in table.names if _RANK_NAME.match(n)]
    if rank_cols and not person_cols and not roles.counts:
        findings.append(
            Finding(
                "ranked-list",
                "review",
                _("A ranked list: if its rows are individuals, it is row-level data."),
                columns=rank_cols,
            )
        )
    return findings


def _dates_and_postcodes(table: TableData, roles: Roles, params: SdcParams) -> list[Finding]:
    findings = []
    for name in roles.labels:
        column = pc.utf8_trim_whitespace(table.raw.column(name).combine_chunks())
        date_share, date_mask = _share(column, _FULL_DATE)
        if date_share >= 0.5:
            if _BIRTH_NAME.search(name):
                findings.append(
                    Finding(
                        "date-of-birth",
                        "block",
                        _("Exact dates of birth identify people; give year or year-month instead."),
                        columns=[name],
                        cells=cells(date_mask, name),
                    )
                )
            elif not roles.counts and table.num_rows >= params.threshold:
                findings.append(
                    Finding(
                        "exact-dates",
                        "review",
                        _("Exact dates at row level can identify people; check they are needed."),
                        columns=[name],
                    )
                )
        post_share, post_mask = _share(column, _POSTCODE)
        if post_share >= 0.5 or (_POSTCODE_NAME.search(name) and post_share > 0):
            findings.append(
                Finding(
                    "full-postcode",
                    "block",
                    _(
                        "Full postcodes identify small areas and people; use a region or the "
                        "postcode district."
                    ),
                    columns=[name],
                    cells=cells(post_mask, name),
                )
            )
    return findings


def _records(table: TableData, roles: Roles, params: SdcParams) -> list[Finding]:
    """Row-level records without identifiers: a person is singled out by a combination of
    quasi-identifiers that only one row has."""
    found = records(table, roles, min_rows=3)
    if found is None:
        return []
    qis = found.quasi_identifiers
    if len(found.unique_rows) == 0:
        return [
            Finding(
                "row-level-records",
                "review",
                _(
                    "The rows are records, not cells of a table ({rows} rows, no counts): "
                    "no combination of {cols} is unique, but a reviewer must confirm that "
                    "record-level data may leave."
                ).format(rows=found.rows, cols=", ".join(qis)),
                columns=qis,
            )
        ]
    return [
        Finding(
            "unique-combination",
            "block",
            _(
                "The rows are records: {n} of {rows} rows ({pct}%) have a combination of "
                "quasi-identifiers ({cols}) that no other row shares, so those people can be "
                "singled out."
            ).format(
                n=len(found.unique_rows),
                rows=found.rows,
                pct=round(100 * found.unique_share),
                cols=", ".join(qis),
            ),
            columns=qis,
            cells=[(int(r), qis[0]) for r in found.unique_rows],
        )
    ]
