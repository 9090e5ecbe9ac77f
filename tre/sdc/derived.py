"""Counts a reader can derive from what is printed, and what rounding hides.

- A percentage (or rate) beside its denominator gives the numerator: n x pct.
- Counts that are all multiples of a base were rounded: the true counts cannot be checked
  without the microdata or a verified sidecar.
- A count holding nearly all of its row or column (class disclosure): nearly everyone in the
  group shares the trait.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow.compute as pc

from tre.sdc._i18n import _
from tre.sdc.findings import Finding
from tre.sdc.params import SdcParams
from tre.sdc.roles import TOTAL_LABEL, Roles
from tre.sdc.tables import as_numpy
from tre.sdc.text import TableData

_PERCENT = re.compile(
    r"(?i)(%|pct|percent|proportion|share|ratio|rate|prevalence|incidence|割合|率|構成比|パーセント)"
)
_PER = re.compile(r"(?i)per[ _]?(1,?000|10,?000|100,?000|1k|10k|100k)|(千|万|10万|十万)人?対")
# Fewer cells than this can all be multiples of 5 by chance (1 in 5**6 at six cells).
MIN_ROUNDED_CELLS = 6
_PER_VALUES = (
    ("100000", 1e5),
    ("100k", 1e5),
    ("10万", 1e5),
    ("十万", 1e5),
    ("10000", 1e4),
    ("10k", 1e4),
    ("万", 1e4),
    ("1000", 1e3),
    ("1k", 1e3),
    ("千", 1e3),
)
_DENOMINATOR = re.compile(
    r"(?i)^(n|N|total|denominator|population|at_risk|persons|patients|people|cohort|"
    r"分母|総数|対象者数|人口|母数|患者数|人数)$|denominator|_total$|^total_|population|分母"
)
_NUMERATOR = re.compile(r"(?i)(numerator|cases|events|with_|分子|該当|発生)")


def _scale(name: str, values: np.ndarray) -> float:
    """What 1 means in a rate column: a fraction, a percentage, or per 1,000 / 100,000."""
    per = _PER.search(name)
    if per:
        text = per.group(0).lower().replace(",", "")
        for token, value in _PER_VALUES:
            if token in text:
                return value
    finite = values[np.isfinite(values)]
    if len(finite) and finite.max() <= 1.0:
        return 1.0
    return 100.0


def derived_counts(table: TableData, roles: Roles, params: SdcParams) -> list[Finding]:
    """Numerators recovered as denominator x rate, below the threshold."""
    rates = [
        n for n in roles.magnitudes if (_PERCENT.search(n) or _PER.search(n)) and n in table.numeric
    ]
    counts = [c for c in roles.counts if not _PERCENT.search(c)]
    if not rates or not counts:
        return []
    denominators = [c for c in counts if _DENOMINATOR.search(c) and not _NUMERATOR.search(c)]
    shown_numerators = [c for c in counts if _NUMERATOR.search(c)]
    if not denominators and len(counts) == 1 and not shown_numerators:
        only = as_numpy(table.numeric[counts[0]])
        denominators = [counts[0]]
        total = np.nansum(only[_members(table, roles)])
        for rate in rates:
            values = as_numpy(table.numeric[rate])
            share = only / total * _scale(rate, values) if total else only * np.nan
            # A share of the column total adds nothing: the count is printed beside it.
            if np.nanmax(np.abs(values - share)) <= 0.6 * _scale(rate, values) / 100:
                rates = [r for r in rates if r != rate]
    if not denominators or not rates:
        return []
    base = as_numpy(table.numeric[denominators[0]])
    found: list[tuple[int, str]] = []
    for rate in rates:
        values = as_numpy(table.numeric[rate])
        numerator = base * values / _scale(rate, values)
        small = (numerator >= 0.5) & (numerator < params.threshold - 0.5)
        found += [(int(r), rate) for r in np.flatnonzero(small)]
    if not found:
        return []
    return [
        Finding(
            "derived-count",
            "block",
            _(
                "{n} percentages or rates, multiplied by the denominator printed beside them, "
                "give counts below {t}."
            ).format(n=len(found), t=params.threshold),
            columns=sorted({c for _r, c in found}),
            cells=found,
        )
    ]


def _members(table: TableData, roles: Roles) -> np.ndarray:
    """Rows that are categories, not totals."""
    keep = np.ones(table.num_rows, dtype=bool)
    for name in roles.labels:
        hits = pc.match_substring_regex(
            table.raw.column(name).combine_chunks(), TOTAL_LABEL.pattern, ignore_case=True
        )
        keep &= ~np.asarray(pc.fill_null(hits, False).to_numpy(zero_copy_only=False))
    return keep


def _count_matrix(table: TableData, roles: Roles) -> tuple[np.ndarray, list[str]]:
    columns = [c for c in roles.counts if not TOTAL_LABEL.match(c) and not _PERCENT.search(c)]
    if not columns:
        return np.zeros((0, 0)), []
    rows = _members(table, roles)
    return np.column_stack([as_numpy(table.numeric[c])[rows] for c in columns]), columns


def rounding(table: TableData, roles: Roles, params: SdcParams, verified: bool) -> list[Finding]:
    """Rounded counts: required by some profiles, and hiding the true counts from all."""
    matrix, columns = _count_matrix(table, roles)
    values = matrix[np.isfinite(matrix)] if matrix.size else matrix
    nonzero = values[values != 0] if values.size else values
    if params.rounding_base:
        base = params.rounding_base
        rounded = (nonzero % base == 0) | (params.rounding_midpoint6 & (nonzero % 6 == 3))
        if nonzero.size and not (
            np.all(nonzero % base == 0) or (params.rounding_midpoint6 and np.all(nonzero % 6 == 3))
        ):
            return [
                Finding(
                    "rounding-required",
                    "block",
                    _(
                        "{n} counts are not rounded; this profile requires every count to be "
                        "rounded to the nearest {base} (or to midpoint 6)."
                    ).format(n=int((~rounded).sum()), base=base),
                    columns=columns,
                )
            ]
        return []
    if verified or nonzero.size < MIN_ROUNDED_CELLS:
        return []
    for base in (10, 5):
        if np.all(nonzero % base == 0):
            return [
                Finding(
                    "rounded-counts",
                    "review",
                    _(
                        "Every count is a multiple of {base}: the counts were rounded, so the "
                        "true counts cannot be checked against the threshold; give the "
                        "microdata or produce the table with tre.client."
                    ).format(base=base),
                    columns=columns,
                )
            ]
    return []


def class_disclosure(table: TableData, roles: Roles, params: SdcParams) -> list[Finding]:
    """In a two-way table of counts, a cell holding at least `class_share` of its row or
    column total: nearly everyone in that group shares the trait."""
    if not roles.wide:  # a contingency table's columns are categories of one variable
        return []
    matrix, columns = _count_matrix(table, roles)
    if len(columns) < 2 or not params.class_share:
        return []
    matrix = np.where(np.isfinite(matrix), matrix, 0.0)
    found: set[tuple[int, str]] = set()
    rows = np.flatnonzero(_members(table, roles))
    for axis in (1, 0):
        totals = matrix.sum(axis=axis, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(totals > 0, matrix / totals, 0.0)
        others = totals - matrix
        # Where the other cells are themselves small, the threshold rule already speaks.
        hits = (
            (share >= params.class_share)
            & (others >= params.threshold)
            & (totals >= params.threshold)
        )
        for r, c in zip(*np.nonzero(hits), strict=True):
            found.add((int(rows[r]), columns[int(c)]))
    if not found:
        return []
    return [
        Finding(
            "class-disclosure",
            "review",
            _(
                "{n} cells hold at least {pct}% of their row or column: nearly everyone in "
                "that group shares the trait; check that this is safe to say."
            ).format(n=len(found), pct=round(params.class_share * 100)),
            columns=sorted({c for _r, c in found}),
            cells=sorted(found),
        )
    ]


_MEAN = re.compile(r"(?i)(mean|avg|average|平均)")


def hidden_means(table: TableData, roles: Roles) -> list[Finding]:
    """A suppressed mean recovered from the total's mean and the groups' counts:
    mean_hidden = (mean_total x n_total - sum of mean_i x n_i) / n_hidden."""
    counts = [c for c in roles.counts if not TOTAL_LABEL.match(c)]
    means = [m for m in roles.magnitudes if _MEAN.search(m) and m in table.suppressed]
    if len(counts) != 1 or not means:
        return []
    members = _members(table, roles)
    totals = np.flatnonzero(~members)
    if len(totals) != 1:
        return []
    n = as_numpy(table.numeric[counts[0]])
    n_hidden = np.asarray(
        pc.fill_null(table.suppressed[counts[0]], False).to_numpy(zero_copy_only=False)
    )
    found: list[tuple[int, str]] = []
    for name in means:
        values = as_numpy(table.numeric[name])
        hidden = np.asarray(
            pc.fill_null(table.suppressed[name], False).to_numpy(zero_copy_only=False)
        )
        total = totals[0]
        rows = np.flatnonzero(members)
        if (
            hidden[rows].sum() == 1
            and not hidden[total]
            and np.isfinite(values[total])
            and not n_hidden.any()
            and np.all(np.isfinite(n[rows]))
        ):
            found.append((int(rows[hidden[rows]][0]), name))
    if not found:
        return []
    return [
        Finding(
            "differencing-total",
            "block",
            _(
                "{n} suppressed means can be recovered from the total's mean and the counts "
                "of the groups; suppress a second mean or drop the total."
            ).format(n=len(found)),
            columns=sorted({c for _r, c in found}),
            cells=found,
        )
    ]


__all__ = ["class_disclosure", "derived_counts", "hidden_means", "rounding"]
