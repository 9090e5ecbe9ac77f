"""Counts a reader can derive from what is printed, and what rounding hides.

- A percentage (or rate) beside its denominator gives the numerator: n x pct.
- Counts that are all multiples of a base were rounded: the true counts cannot be checked
  without the microdata or a verified sidecar.
- A count holding nearly all, or all, of its row or column (class disclosure), in a wide or
  a long table: nearly everyone, or everyone, in the group shares the trait.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
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
    """Cells holding at least `class_share` of their row or column (of the cells that differ
    from them in one variable only), whatever the layout: a wide cross-tabulation, or a long
    table with one row per combination of two or more label columns.

    A cell holding all of it (every other cell printed as zero, or absent from a long table,
    where a GROUP BY leaves zero combinations out) tells that everyone in the group shares
    the trait: that is what a zero tells, and ACRO checks class disclosure by its zeros
    (`PresenceOfZeroCheck`, failed under `zeros_are_disclosive`), so it gets the profile's
    severity for zeros. Nearly all of it, the rest suppressed or at least `threshold`, is for
    review: ACRO has no such check, and SACRO's guidance leaves it to the checker. Where the
    rest is a small count, the threshold rule speaks."""
    if not params.class_share:
        return []
    complete: set[tuple[int, str]] = set()
    nearly: set[tuple[int, str]] = set()
    for grid in _classifications(table, roles):
        found_all, found_most = _dominant(grid, params)
        complete |= found_all
        nearly |= found_most - found_all
    findings = []
    if complete:
        findings.append(
            Finding(
                "class-disclosure",
                params.zeros_severity,
                _(
                    "{n} cells hold the whole of their row or column (the other cells are zero "
                    "or absent): everyone in that group shares the trait."
                ).format(n=len(complete)),
                columns=sorted({c for _r, c in complete}),
                cells=sorted(complete),
            )
        )
    if nearly:
        findings.append(
            Finding(
                "class-disclosure",
                "review",
                _(
                    "{n} cells hold at least {pct}% of their row or column: nearly everyone in "
                    "that group shares the trait; check that this is safe to say."
                ).format(n=len(nearly), pct=round(params.class_share * 100)),
                columns=sorted({c for _r, c in nearly}),
                cells=sorted(nearly),
            )
        )
    return findings


@dataclass
class _Grid:
    """Count cells of a cross-classification: one label array per variable, and per cell its
    count (NaN when empty), whether it is suppressed, and where it is in the file."""

    variables: list[pa.Array]
    values: np.ndarray
    hidden: np.ndarray
    rows: np.ndarray
    columns: list[str]


def _classifications(table: TableData, roles: Roles) -> list[_Grid]:
    """A wide table's counts with the row labels and the header as variables; a long table's
    count columns each with its label columns as variables (two or more)."""
    members = np.flatnonzero(_members(table, roles))
    counts = [c for c in roles.counts if not TOTAL_LABEL.match(c) and not _PERCENT.search(c)]
    labels = [
        pc.utf8_trim_whitespace(table.raw.column(n).combine_chunks()).take(pa.array(members))
        for n in roles.labels
    ]
    if roles.wide:
        if len(counts) < 2:
            return []
        labels = labels or [pc.cast(pa.array(members), pa.string())]
        width = len(counts)
        return [
            _Grid(
                [pa.concat_arrays([a] * width) for a in labels]
                + [pa.array(np.repeat(np.array(counts, dtype=object), len(members)), pa.string())],
                np.concatenate([as_numpy(table.numeric[c])[members] for c in counts]),
                np.concatenate([_hidden(table, c)[members] for c in counts]),
                np.tile(members, width),
                [c for c in counts for _ in members],
            )
        ]
    if len(labels) < 2:
        return []
    return [
        _Grid(
            labels,
            as_numpy(table.numeric[c])[members],
            _hidden(table, c)[members],
            members,
            [c] * len(members),
        )
        for c in counts
    ]


def _hidden(table: TableData, name: str) -> np.ndarray:
    marks = table.suppressed.get(name)
    if marks is None:
        return np.zeros(table.num_rows, dtype=bool)
    return np.asarray(pc.fill_null(marks, False).to_numpy(zero_copy_only=False), dtype=bool)


def _dominant(grid: _Grid, params: SdcParams) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    """(cells holding all of their group, cells holding at least `class_share` of it), along
    every variable in turn: a group is the cells that share every other variable's label."""
    present = ~np.isnan(grid.values) | grid.hidden
    values = np.where(np.isnan(grid.values), 0.0, grid.values)
    complete: set[tuple[int, str]] = set()
    nearly: set[tuple[int, str]] = set()
    where = np.flatnonzero(present)
    if len(where) < 2:
        return complete, nearly
    for axis in range(len(grid.variables)):
        others = [v for k, v in enumerate(grid.variables) if k != axis]
        key = pc.binary_join_element_wise(*others, "\x1f") if len(others) > 1 else others[0]
        group = np.asarray(pc.dictionary_encode(key.take(pa.array(where))).indices)
        levels = len(pc.unique(grid.variables[axis].take(pa.array(where))))
        groups = int(group.max()) + 1
        per_group = np.bincount(group, minlength=groups)
        # A cross-classification: the variable takes several levels in most groups and the
        # grid is mostly filled. Otherwise it is a description of another label (a code's
        # name) or nested in it (municipalities in prefectures), and absent is not zero.
        if levels < 2 or (per_group >= 2).mean() < 0.5 or len(where) < 0.5 * groups * levels:
            continue
        cell = values[where]
        hidden = grid.hidden[where]
        total = np.bincount(group, weights=cell, minlength=groups)[group]
        hidden_rest = np.bincount(group, weights=hidden, minlength=groups)[group] - hidden
        rest = total - cell
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, cell / total, 0.0)
        dominant = (share >= params.class_share) & (total >= params.threshold) & ~hidden
        whole = dominant & (rest == 0) & (hidden_rest == 0)
        most = dominant & ~whole & ((hidden_rest > 0) | (rest >= params.threshold))
        for mask, out in ((whole, complete), (most, nearly)):
            out |= {
                (int(grid.rows[where[i]]), grid.columns[where[i]]) for i in np.flatnonzero(mask)
            }
    return complete, nearly


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
