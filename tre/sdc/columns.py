"""How findings name a table's columns: by header, unless the header is itself a record value.

A header can be a value from the records: a person's pseudonym in a transposed table, a
one-per-person label, an identifier-shaped token, a formula. Such a column is named by its
position instead, `#3` for the third column (counting from 1), so that no finding, message,
stored report, `tre sdc check` output, results.json or crate carries the header.

`public_table` renames those columns before any rule reads the table (the checks call it
first, so no rule ever sees such a name); `column_index` finds a named column again in the
file's header row (the portal's file view, results.json). A header that merely looks like a
position (`#2` as the fifth column) is renamed to its own position, so a position is never
ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from tre.sdc.text import TableData

POSITION = re.compile(r"^#([1-9][0-9]*)$")


def positional(index: int) -> str:
    """The name of the column at 0-based `index`: `#1` for the first."""
    return f"#{index + 1}"


def column_index(name: str, headers: Sequence[str]) -> int | None:
    """Where a column named in a finding is in `headers` (the file's header row), or None."""
    found = POSITION.match(name)
    if found:
        index = int(found.group(1)) - 1
        return index if index < len(headers) else None
    try:
        return list(headers).index(name)
    except ValueError:
        return None


def public_names(names: Sequence[str], hidden: np.ndarray) -> list[str]:
    return [
        positional(i) if hidden[i] or (POSITION.match(name) and name != positional(i)) else name
        for i, name in enumerate(names)
    ]


def public_table(table: TableData, hidden: np.ndarray) -> TableData:
    """`table` with the columns marked in `hidden` (and any header shaped like another
    position) named by position; its `headers` keep what was read."""
    names = public_names(table.names, hidden)
    if names == table.names:
        return table
    renamed = dict(zip(table.names, names, strict=True))
    return TableData(
        names=names,
        raw=table.raw.rename_columns(names),
        numeric={renamed[k]: v for k, v in table.numeric.items()},
        suppressed={renamed[k]: v for k, v in table.suppressed.items()},
        ragged_rows=table.ragged_rows,
        headers=list(table.headers),
    )


__all__ = ["POSITION", "column_index", "positional", "public_names", "public_table"]
