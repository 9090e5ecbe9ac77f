"""Contributor-level rules (threshold in people, NK and p% dominance) placed on a file's cells."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tre.errors import InputError
from tre.sdc._i18n import _
from tre.sdc.db import connection
from tre.sdc.differencing import long_cells
from tre.sdc.findings import Finding
from tre.sdc.microdata import cell_flags, cell_statistics, findings_from_flags
from tre.sdc.params import SdcParams
from tre.sdc.roles import Roles
from tre.sdc.text import TableData
from tre.sql import literal


def microdata_statistics(
    microdata: Any, by: Sequence[str], value: str | None, unit: str | None, stat: str, nk_n: int
) -> pa.Table:
    """Cell statistics from a Parquet/CSV path, an Arrow table or a DuckDB relation; without
    `unit`, a person column of the microdata (person_id, patient_id, ...) is the unit."""
    con = connection()
    try:
        if isinstance(microdata, str | Path):
            path = str(microdata)
            reader = "read_parquet" if path.lower().endswith(".parquet") else "read_csv_auto"
            con.execute(
                f"CREATE TEMP VIEW micro AS SELECT * FROM {reader}(?)".replace("?", literal(path))
            )
        elif isinstance(microdata, duckdb.DuckDBPyRelation):
            con.register("micro", microdata.to_arrow_table())
        else:
            con.register("micro", microdata)
        names = [r[0] for r in con.execute("DESCRIBE micro").fetchall()]
        if unit is None:  # count persons, not records, wherever the person column is known
            unit = next((n for n in names if _PERSON_COLUMN.match(n)), None)
        missing = [c for c in [*by, value, unit] if c and c not in names]
        if missing:
            raise InputError(
                _("The microdata has no column named {cols}.").format(cols=", ".join(missing)),
                hint=_("Check the --by, --value and --unit options."),
            )
        if stat != "count" and not value:
            raise InputError(
                _("A statistic other than count needs a value column."), hint=_("Pass --value.")
            )
        return cell_statistics(con, "micro", by, value, unit, stat, nk_n)
    except duckdb.Error as exc:
        raise InputError(
            _("The microdata could not be read by DuckDB."), hint=_("Give a Parquet or CSV file.")
        ) from exc
    finally:
        con.close()


_PERSON_COLUMN = re.compile(r"(?i)^((person|patient|subject|member)_?id|患者ID|個人ID)$")


def contributor_findings(
    table: TableData, roles: Roles, stats: pa.Table, by: list[str], params: SdcParams, stat: str
) -> list[Finding]:
    """Flag each statistics cell and report the file cells that show it.

    A wide file's cells are keyed by its row labels plus the column header (the last `by`
    column); a long file's by its label columns named as in `by` (or in order).
    """
    flags = cell_flags(stats, params, stat)
    stat_key = _stats_key(stats, by)
    file_cells = long_cells(table, roles)
    labels = [c for c in roles.labels]
    long_layout = len(labels) >= len(by) and not roles.wide
    if long_layout:
        chosen = (
            [c for c in by if c in labels] if all(c in labels for c in by) else labels[: len(by)]
        )
        parts = [pc.utf8_trim_whitespace(table.raw.column(c).combine_chunks()) for c in chosen]
        row_key = pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]
        keys = pc.take(row_key, file_cells.column("row"))
    else:
        # The header as written is the label of the last `by` column (the name a finding
        # gives the column may be its position).
        names = pa.array(table.names, pa.string())
        at = pc.index_in(file_cells.column("column"), value_set=names)
        column = pc.take(pa.array(table.headers, pa.string()), at)
        keys = pc.binary_join_element_wise(file_cells.column("key"), column, "\x1f")
        if not labels:
            keys = column
    found = pc.index_in(keys, value_set=stat_key)  # statistics row of each file cell
    on_stats = pc.is_valid(found)
    pairs = {
        "i": pc.filter(found, on_stats).to_numpy(zero_copy_only=False),
        "row": pc.filter(file_cells.column("row"), on_stats).to_numpy(),
        "column": pc.filter(file_cells.column("column"), on_stats).to_numpy(zero_copy_only=False),
    }
    return findings_from_flags(flags, pairs, params)


def _stats_key(stats: pa.Table, by: list[str]) -> pa.Array:
    parts = [
        pc.utf8_trim_whitespace(pc.cast(stats.column(b), pa.string()).combine_chunks()) for b in by
    ]
    joined = pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]
    return pc.fill_null(joined, "")


__all__ = ["contributor_findings", "microdata_statistics"]
