"""Row-level data disguised as a table: identifiers, persons as rows, exact dates, postcodes.

All matching is vectorised over Arrow arrays; the person identifiers of the project's extract
are matched by value, so renaming the column does not hide them.
"""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tre.sdc._i18n import _
from tre.sdc.db import connection
from tre.sdc.findings import Finding
from tre.sdc.params import SdcParams
from tre.sdc.roles import Roles
from tre.sdc.tables import cells
from tre.sdc.text import TableData

_HEX = "[0-9a-fA-F]"
_HEX_ID = f"^({_HEX}{{16,}}|{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}})$"
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
QUASI_IDENTIFIER = re.compile(
    r"(?i)^(age|age_years|sex|gender|birth.*|dob|post.?code|zip.*|postal.*|prefecture|region|city|"
    r"municipality|ward|ethnicity|ethnic_group|race|occupation|marital.*|nationality|"
    r"性別|年齢|都道府県|市区町村|職業|国籍)$"
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


def _as_id_array(person_ids: object) -> pa.Array | None:
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


def row_level_rules(
    table: TableData,
    roles: Roles,
    params: SdcParams,
    person_ids: object = None,
    n_persons: int | None = None,
) -> list[Finding]:
    findings: list[Finding] = []
    ids = _as_id_array(person_ids)
    rows = table.num_rows
    id_cells: list[tuple[int, str]] = []
    id_like: list[str] = []
    if rows:
        # Numbers can be identifiers too (integer ids): match every column's text.
        flat = pc.utf8_trim_whitespace(table.flat())
        if ids is not None and len(ids):
            hits = table.grid(pc.is_in(flat, value_set=ids))
            cols, where = np.nonzero(hits)
            id_cells = sorted(
                (int(r), table.names[int(c)]) for c, r in zip(cols, where, strict=True)
            )
        hex_share = table.grid(pc.match_substring_regex(flat, _HEX_ID)).mean(axis=1)
        id_like = [
            n for n, share in zip(table.names, hex_share, strict=True) if share >= 0.9 and rows >= 2
        ]
    if id_cells:
        findings.append(
            Finding(
                "person-identifier",
                "block",
                _(
                    "{n} cells hold person identifiers of this project's extract: this is "
                    "row-level data and cannot leave."
                ).format(n=len(id_cells)),
                columns=sorted({c for _r, c in id_cells}),
                cells=id_cells,
            )
        )
    id_like = [n for n in id_like if n not in {c for _r, c in id_cells}]
    if id_like:
        findings.append(
            Finding(
                "pseudonym-like",
                "block",
                _(
                    "Columns hold values shaped like pseudonyms (long hexadecimal strings or "
                    "UUIDs): this looks like row-level data."
                ),
                columns=id_like,
            )
        )
    findings += _transposed(table, ids)
    findings += _person_rows(table, roles, params, n_persons)
    findings += _dates_and_postcodes(table, roles, params)
    findings += _quasi_identifiers(table, roles)
    return findings


def _transposed(table: TableData, ids: pa.Array | None) -> list[Finding]:
    headers = pa.array(table.names, pa.string())
    hits = 0
    if ids is not None and len(ids):
        hits = int(pc.sum(pc.is_in(headers, value_set=ids)).as_py() or 0)
    hex_headers = int(pc.sum(pc.match_substring_regex(headers, _HEX_ID)).as_py() or 0)
    if hits or hex_headers >= 2:
        return [
            Finding(
                "transposed-persons",
                "block",
                _("Column headers are person identifiers: a transposed table of individuals."),
            )
        ]
    return []


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


def _quasi_identifiers(table: TableData, roles: Roles) -> list[Finding]:
    """Row-level tables (no counts) where a combination of quasi-identifiers occurs once."""
    qis = [n for n in table.names if QUASI_IDENTIFIER.match(n)]
    if len(qis) < 2 or roles.counts or table.num_rows < 2:
        return []
    con = connection()
    try:
        con.register(
            "t", table.raw.select(qis).append_column("__row", pa.array(np.arange(table.num_rows)))
        )
        keys = ", ".join(f'"{q.replace(chr(34), chr(34) * 2)}"' for q in qis)
        unique_rows = con.execute(
            f"SELECT __row FROM (SELECT __row, count(*) OVER (PARTITION BY {keys}) AS k FROM t) "
            "WHERE k = 1 ORDER BY __row"
        ).fetchnumpy()["__row"]
    finally:
        con.close()
    if len(unique_rows) == 0:
        return []
    return [
        Finding(
            "unique-combination",
            "block",
            _(
                "{n} rows have a combination of quasi-identifiers ({cols}) that no other row "
                "shares: those people can be singled out."
            ).format(n=len(unique_rows), cols=", ".join(qis)),
            columns=qis,
            cells=[(int(r), qis[0]) for r in unique_rows],
        )
    ]
