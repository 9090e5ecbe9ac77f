"""Rules on a table's own figures: threshold, zeros, extremes, regression df, formulas."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tre.sdc._i18n import _
from tre.sdc.findings import Finding
from tre.sdc.formulas import formula_mask
from tre.sdc.params import SdcParams
from tre.sdc.roles import Roles
from tre.sdc.text import TableData


def cells(mask: np.ndarray, column: str) -> list[tuple[int, str]]:
    return [(int(i), column) for i in np.flatnonzero(mask)]


def as_numpy(values: pa.Array) -> np.ndarray:
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=float)


def frequency_rules(table: TableData, roles: Roles, params: SdcParams) -> list[Finding]:
    """Counts below the threshold (block) and zeros (review or info), with the magnitudes
    published on the same rows as a small count."""
    small: list[tuple[int, str]] = []
    zeros: list[tuple[int, str]] = []
    negative: list[tuple[int, str]] = []
    small_rows = np.zeros(table.num_rows, dtype=bool)
    for name in roles.counts:
        values = as_numpy(table.numeric[name])
        is_small = (values > 0) & (values < params.threshold)
        small += cells(is_small, name)
        zeros += cells(values == 0, name)
        negative += cells(values < 0, name)
        small_rows |= is_small
    findings = []
    if not roles.wide and small_rows.any():
        for name in roles.magnitudes:
            small += cells(small_rows & ~np.isnan(as_numpy(table.numeric[name])), name)
    if small:
        findings.append(
            Finding(
                "threshold",
                "block",
                _(
                    "{n} cells count fewer than {t} people or records; suppress, combine or "
                    "round them."
                ).format(n=len(small), t=params.threshold),
                columns=sorted({c for _r, c in small}),
                cells=small,
            )
        )
    if zeros:
        findings.append(zeros_finding(len(zeros), params, cells=zeros))
    if negative:
        findings.append(
            Finding(
                "negative-count",
                "review",
                _("{n} cells that look like counts are negative; check what they hold.").format(
                    n=len(negative)
                ),
                cells=negative,
            )
        )
    return findings


def zeros_finding(n: int, params: SdcParams, cells: list[tuple[int, str]]) -> Finding:
    """Zero cells, by the profile: disclosive (block, as ACRO fails them), sampling zeros
    (review) or structural zeros (info)."""
    if params.zeros == "structural":
        text = _("{n} cells are zero; treated as structural (impossible) combinations.")
    else:
        text = _(
            "{n} cells are zero: a zero can reveal that nobody in a group has a trait; "
            "explain why these zeros are safe."
        )
    return Finding(
        "zeros",
        params.zeros_severity,
        text.format(n=n),
        columns=sorted({c for _r, c in cells}),
        cells=cells,
    )


def magnitude_rules(table: TableData, roles: Roles, has_contributors: bool) -> list[Finding]:
    findings = []
    if roles.extremes:
        findings.append(
            Finding(
                "extremes",
                "review",
                _(
                    "Minimum and maximum values are single people's values; publish them "
                    "only if they are safe."
                ),
                columns=list(roles.extremes),
            )
        )
    if roles.magnitudes and not roles.counts and not has_contributors:
        findings.append(
            Finding(
                "contributors-unknown",
                "review",
                _(
                    "This table holds sums or averages without the number of contributors "
                    "per cell, so the threshold and dominance rules cannot be checked "
                    "automatically; add the counts, or produce it with tre.client so its "
                    "provenance can be verified."
                ),
                columns=list(roles.magnitudes),
            )
        )
    return findings


_DF_RESID = r"(?i)^\s*(df[ _.]?resid(uals)?|residual[ _]df|df residuals|残差自由度)\s*:?\s*$"
_N_OBS = (
    r"(?i)^\s*(no\.? observations|n[ _]?obs|nobs|observations|number of obs(ervations)?|n|"
    r"観測数|対象者数|症例数|サンプルサイズ)\s*:?\s*$"
)
_COEF = re.compile(
    r"(?i)^(coef\.?|coefficient|coefficients|estimate|beta|b|β|or|odds[ _]ratio|hr|"
    r"hazard[ _]ratio|rr|irr|exp\(b\)|係数|回帰係数|推定値|偏回帰係数|オッズ比|ハザード比)$"
)
_SE = re.compile(
    r"(?i)^(std\.? ?err\.?|std\.?[ _]?error|se|s\.e\.|std_err|standard error|t|z|t value|z value|"
    r"p>\|t\||p>\|z\||p|p_value|pvalue|p-value|pr\(>\|t\|\)|pr\(>\|z\|\)|"
    r"(95% ?)?ci|(95% ?)?conf\.? int\.?|lower|upper|\[0\.025|0\.975\]|"
    r"標準誤差|p値|t値|z値|(95%)?信頼区間)$"
)
# Rows of a coefficient table that are not estimated terms.
_NOT_TERM = (
    r"(?i)^\s*(n|nobs|no\.? observations|observations|df.*|r2|r-squared|r²|adj.*|aic|bic|"
    r"log.?likelihood|f.?stat.*|観測数|対象者数|自由度.*|決定係数.*)\s*:?\s*$"
)


def regression_rules(
    table: TableData,
    params: SdcParams,
    stated_n: float | None = None,
    stated_df: float | None = None,
    stated: bool = False,
) -> list[Finding]:
    """Residual degrees of freedom of a regression summary: stated (a df column, row or
    note), or the number of observations (a column, a row, a note) minus the number of
    estimated terms (coefficient rows, intercept included)."""
    is_coef_table = is_regression_table(table)
    df_value = _labelled_value(table, _DF_RESID)
    df_column = next((n for n in table.names if re.match(_DF_RESID, n)), None)
    if df_value is None and df_column and df_column in table.numeric:
        found = pc.min(table.numeric[df_column]).as_py()
        df_value = None if found is None else float(found)
    if df_value is None and (is_coef_table or stated) and stated_df is not None:
        df_value = stated_df  # a model summary in a report: its df is stated in the text
    if df_value is None and is_coef_table:
        n_obs = _labelled_value(table, _N_OBS)
        n_column = next((n for n in table.names if re.match(_N_OBS, n)), None)
        if n_obs is None and n_column and n_column in table.numeric:
            found = pc.max(table.numeric[n_column]).as_py()
            n_obs = None if found is None else float(found)
        if n_obs is None:
            n_obs = stated_n
        if n_obs is not None:
            df_value = n_obs - _terms(table)
    if df_value is None:
        if is_coef_table:
            return [
                Finding(
                    "regression-df",
                    "review",
                    _(
                        "This looks like a regression summary but its residual degrees of "
                        "freedom cannot be found; include them (or the number of "
                        "observations)."
                    ),
                )
            ]
        return []
    if df_value < params.min_residual_df:
        return [
            Finding(
                "regression-df",
                "block",
                _(
                    "The model has {df} residual degrees of freedom, fewer than {t}: its "
                    "coefficients can reveal individual values."
                ).format(df=int(df_value), t=params.min_residual_df),
            )
        ]
    return []


def _terms(table: TableData) -> int:
    """Estimated terms: rows with a coefficient, less rows that name N, df or fit figures."""
    coef = next(n for n in table.names if _COEF.match(n.strip()))
    if coef in table.numeric:
        has_value = pc.is_valid(table.numeric[coef])
    else:
        has_value = pc.not_equal(pc.utf8_trim_whitespace(table.raw.column(coef)), "")
    mask = np.asarray(pc.fill_null(has_value, False).to_numpy(zero_copy_only=False))
    labels = [n for n in table.names if n not in table.numeric]
    if labels:
        column = table.raw.column(labels[0]).combine_chunks()
        other = pc.match_substring_regex(column, _NOT_TERM)
        mask &= ~np.asarray(pc.fill_null(other, False).to_numpy(zero_copy_only=False))
    return int(mask.sum())


def is_regression_table(table: TableData) -> bool:
    """Coefficients with standard errors, test statistics or intervals: a model summary."""
    names = [n.strip() for n in table.names]
    return any(_COEF.match(n) for n in names) and any(_SE.match(n) for n in names)


def _labelled_value(table: TableData, pattern: str) -> float | None:
    """The number to the right of a cell whose text matches `pattern`."""
    names = table.names
    for i, name in enumerate(names[:-1]):
        if name in table.numeric:
            continue
        column = table.raw.column(name).combine_chunks()
        hits = np.flatnonzero(
            np.asarray(pc.match_substring_regex(column, pattern).to_numpy(zero_copy_only=False))
        )
        for row in hits[:5]:
            text = str(table.raw.column(names[i + 1])[int(row)].as_py()).strip().replace(",", "")
            try:
                return float(text)
            except ValueError:
                continue
    return None


def formula_rules(table: TableData) -> list[Finding]:
    text_columns = [n for n in table.names if n not in table.numeric]  # numbers cannot be formulas
    flagged: list[tuple[int, str]] = []
    if text_columns and table.num_rows:
        hits = table.grid(formula_mask(table.flat(text_columns)), text_columns)
        cols, rows = np.nonzero(hits)
        order = np.lexsort((cols, rows))
        flagged = [(int(rows[k]), text_columns[int(cols[k])]) for k in order]
    # A header is tested as written (its name here may be a position: tre.sdc.columns).
    header_hits = formula_mask(pa.array(table.headers, pa.string())).to_pylist()
    columns = [n for n, hit in zip(table.names, header_hits, strict=True) if hit]
    if not flagged and not columns:
        return []
    return [
        Finding(
            "formula-injection",
            "block",
            _(
                "{n} cells start like a spreadsheet formula (=, +, -, @) and would run when "
                "opened; remove or quote them."
            ).format(n=len(flagged) + len(columns)),
            columns=columns,
            cells=flagged,
        )
    ]
