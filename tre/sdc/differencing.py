"""Secondary disclosure: hidden cells recovered by subtraction.

Within a table: a row or column with a total (a `Total`/`All` label or header) in which exactly
one cell is suppressed lets anyone compute it; a total that exceeds the sum of its shown cells
by less than the threshold reveals an omitted small group. Against earlier releases: a cell
suppressed in one release and shown in another, or a figure that changed by less than the
threshold, reveals a small group by subtraction.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tre.sdc._i18n import _
from tre.sdc.db import connection
from tre.sdc.findings import Finding
from tre.sdc.params import SdcParams
from tre.sdc.roles import TOTAL_LABEL, Roles, assign_roles, total_rows
from tre.sdc.tables import as_numpy
from tre.sdc.text import TableData, table_from_arrow


def _matrix(table: TableData, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    values = np.column_stack([as_numpy(table.numeric[c]) for c in columns])
    hidden = np.column_stack(
        [
            np.asarray(pc.fill_null(table.suppressed[c], False).to_numpy(zero_copy_only=False))
            for c in columns
        ]
    )
    return values, hidden


def within_table(
    table: TableData, roles: Roles, params: SdcParams, stated_total: float | None = None
) -> list[Finding]:
    """Suppressed cells recoverable from totals, and omitted small groups; `stated_total` is
    a total written outside the table (a footer line) for its only count column."""
    additive = roles.counts + [
        m for m in roles.magnitudes if "sum" in m.lower() or "total" in m.lower()
    ]
    if not additive or table.num_rows == 0:
        return []
    recovered: list[tuple[int, str]] = []
    omitted: list[tuple[int, str]] = []
    values, hidden = _matrix(table, additive)
    # Totals across a row: a value column headed Total/All.
    total_cols = [i for i, c in enumerate(additive) if TOTAL_LABEL.match(c)]
    members = [i for i in range(len(additive)) if i not in total_cols]
    for t in total_cols[:1]:
        part_hidden = hidden[:, members]
        one = (part_hidden.sum(axis=1) == 1) & ~hidden[:, t] & ~np.isnan(values[:, t])
        for r in np.flatnonzero(one):
            j = members[int(np.flatnonzero(part_hidden[r])[0])]
            recovered.append((int(r), additive[j]))
        if roles.counts:
            shown = np.nansum(np.where(part_hidden, 0, values[:, members]), axis=1)
            gap = values[:, t] - shown
            small = ~part_hidden.any(axis=1) & (gap > 0) & (gap < params.threshold)
            omitted += [(int(r), additive[t]) for r in np.flatnonzero(small)]
    # Totals down a column: rows labelled Total/All, per group of the other labels.
    for label, mask in total_rows(table, roles.labels).items():
        is_total = np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))
        others = [c for c in roles.labels if c != label]
        if others:
            parts = [pc.utf8_trim_whitespace(table.raw.column(c).combine_chunks()) for c in others]
            joined = pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]
            group_key = np.asarray(joined.to_numpy(zero_copy_only=False), dtype=str)
        else:
            group_key = np.zeros(table.num_rows, dtype=str)
        _groups, group = np.unique(group_key, return_inverse=True)
        for g in np.unique(group[is_total]):
            rows = np.flatnonzero(group == g)
            total_row = rows[is_total[rows]][0]
            member_rows = rows[~is_total[rows]]
            for j, name in enumerate(additive):
                if (
                    hidden[total_row, j]
                    or np.isnan(values[total_row, j])
                    or name in (additive[t] for t in total_cols)
                ):
                    continue
                col_hidden = hidden[member_rows, j]
                if col_hidden.sum() == 1:
                    recovered.append((int(member_rows[np.flatnonzero(col_hidden)[0]]), name))
                elif col_hidden.sum() == 0 and name in roles.counts:
                    gap = values[total_row, j] - np.nansum(values[member_rows, j])
                    if 0 < gap < params.threshold:
                        omitted.append((int(total_row), name))
    if stated_total is not None and len(roles.counts) == 1 and not total_rows(table, roles.labels):
        name = roles.counts[0]
        values, hidden = _matrix(table, [name])
        if hidden[:, 0].sum() == 1:
            recovered.append((int(np.flatnonzero(hidden[:, 0])[0]), name))
        elif hidden[:, 0].sum() == 0:
            gap = stated_total - np.nansum(values[:, 0])
            if 0 < gap < params.threshold:
                omitted.append((table.num_rows - 1, name))
    findings = []
    if recovered:
        findings.append(
            Finding(
                "differencing-total",
                "block",
                _(
                    "{n} suppressed cells can be recovered by subtracting the other cells "
                    "from the published total; suppress a second cell in each line or drop "
                    "the total."
                ).format(n=len(recovered)),
                columns=sorted({c for _r, c in recovered}),
                cells=sorted(set(recovered)),
            )
        )
    if omitted:
        findings.append(
            Finding(
                "differencing-omitted",
                "block",
                _(
                    "{n} totals exceed the sum of the cells shown by fewer than {t}: the "
                    "omitted group is small and revealed by subtraction."
                ).format(n=len(omitted), t=params.threshold),
                cells=sorted(set(omitted)),
            )
        )
    return findings


def long_cells(table: TableData, roles: Roles) -> pa.Table:
    """Every value cell as (key, column, row, value, hidden), key = the row's labels."""
    if roles.labels:
        parts = [
            pc.utf8_trim_whitespace(table.raw.column(c).combine_chunks()) for c in roles.labels
        ]
        key = pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]
    else:
        key = pc.cast(pa.array(np.arange(table.num_rows, dtype=np.int64)), pa.string())
    values = roles.values
    rows = table.num_rows
    if not values:
        return pa.table(
            {
                "key": pa.array([], pa.string()),
                "column": pa.array([], pa.string()),
                "row": pa.array([], pa.int64()),
                "value": pa.array([], pa.float64()),
                "hidden": pa.array([], pa.bool_()),
            }
        )
    positions = np.tile(np.arange(rows, dtype=np.int64), len(values))
    return pa.table(
        {
            "key": pc.take(key, pa.array(positions)),
            "column": pa.array(np.repeat(np.array(values, dtype=object), rows), pa.string()),
            "row": pa.array(positions),
            "value": pa.concat_arrays([table.numeric[n] for n in values]),
            "hidden": pc.fill_null(pa.concat_arrays([table.suppressed[n] for n in values]), False),
        }
    )


def against_releases(
    table: TableData, roles: Roles, params: SdcParams, earlier: list[TableData], stat: str | None
) -> list[Finding]:
    if not earlier or not roles.values:
        return []
    current = long_cells(table, roles)
    mismatch: set[tuple[int, str]] = set()
    small: set[tuple[int, str]] = set()
    con = connection()
    try:
        con.register("cur", current)
        for previous in earlier:
            prev_roles = assign_roles(previous, stat)
            con.register("prev", long_cells(previous, prev_roles))
            rows = con.execute(
                """
                SELECT cur.row, cur.column,
                       (cur.hidden <> prev.hidden) AS mismatch,
                       (NOT cur.hidden AND NOT prev.hidden AND abs(cur.value - prev.value) > 0
                        AND abs(cur.value - prev.value) < ?) AS small
                FROM cur JOIN prev USING (key, "column")
                WHERE cur.hidden <> prev.hidden
                   OR (NOT cur.hidden AND NOT prev.hidden AND abs(cur.value - prev.value) > 0
                       AND abs(cur.value - prev.value) < ?)
                """,
                [params.threshold, params.threshold],
            ).fetchall()
            for row, column, is_mismatch, _is_small in rows:
                if column not in roles.counts and not is_mismatch:
                    continue  # differences of means are not counts of people
                (mismatch if is_mismatch else small).add((int(row), str(column)))
            con.unregister("prev")
    finally:
        con.close()
    findings = []
    if mismatch:
        findings.append(
            Finding(
                "differencing-release",
                "block",
                _(
                    "{n} cells are suppressed in this file but published in an earlier "
                    "release of the project (or the reverse): together they reveal the "
                    "hidden value."
                ).format(n=len(mismatch)),
                cells=sorted(mismatch),
            )
        )
    if small:
        findings.append(
            Finding(
                "differencing-release",
                "block",
                _(
                    "{n} counts differ from the same cells of an earlier release by fewer "
                    "than {t}: subtracting the two reveals a small group."
                ).format(n=len(small), t=params.threshold),
                cells=sorted(small),
            )
        )
    return findings


def across_companions(
    table: TableData, params: SdcParams, companions: list[TableData | None]
) -> list[Finding]:
    """Differencing across the files of one request: a file with the same columns read
    together with this one (a total row in one, the categories in the other), or a file
    whose only figure is a total of this table's only count column."""
    if not any(c is not None for c in companions):
        return []
    roles = assign_roles(table)
    found: list[Finding] = []
    for other in companions:
        if other is None or other.num_rows == 0:
            continue
        if [n.strip() for n in other.names] == [n.strip() for n in table.names]:
            union = table_from_arrow(
                pa.concat_tables([table.raw, other.raw.rename_columns(table.names)])
            )
            union_roles = assign_roles(union)
            alone = {
                (f.rule, tuple(c)) for f in within_table(table, roles, params) for c in f.cells
            }
            for finding in within_table(union, union_roles, params):
                if all((finding.rule, tuple(c)) in alone for c in finding.cells):
                    continue  # this file shows as much on its own
                finding.cells = [c for c in finding.cells if c[0] < table.num_rows]
                found.append(_across(finding))
        elif other.num_rows == 1 and len(roles.counts) == 1:
            name = roles.counts[0]
            if name in other.numeric and not total_rows(table, roles.labels):
                value = other.numeric[name][0].as_py()
                if value is not None:
                    found += [_across(f) for f in within_table(table, roles, params, value)]
    return found


def _across(finding: Finding) -> Finding:
    finding.message = _("With another file of this request: {detail}").format(
        detail=finding.message
    )
    return finding
