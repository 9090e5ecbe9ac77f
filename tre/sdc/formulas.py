"""Cells a spreadsheet would run as a formula (CSV or formula injection): the one definition,
used by the airlock's intake (which refuses such a table) and by the disclosure checks (the
`formula-injection` finding).

A cell is a formula when it starts with `=` or `@`, or with a tab, carriage return or NUL
(spreadsheets skip them and read what follows; OWASP and ASVS 1.2.10 list them), or with `+`
or `-` unless it is a plain signed number (`-5`, `+1.5e3`, `-1,234`, `-12%`) or only dashes
(`-`, `--`, which tables print for "none"). Tested over Arrow arrays at once (RE2).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

_ALWAYS = r"^[=@\t\r\x00]"
_SIGNED = r"^[+-]"
_PLAIN = r"^[+-]?(\d[\d,]*(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$|^[+\-\s]*$"


def formula_mask(values: pa.Array) -> pa.Array:
    """Per value, whether a spreadsheet would run it (nulls are False)."""
    values = pc.cast(values, pa.string())
    signed = pc.and_(
        pc.match_substring_regex(values, _SIGNED),
        pc.invert(pc.match_substring_regex(values, _PLAIN)),
    )
    return pc.fill_null(pc.or_(pc.match_substring_regex(values, _ALWAYS), signed), False)


def count_formulas(values: pa.Array) -> int:
    return int(pc.sum(formula_mask(values)).as_py() or 0)


__all__ = ["count_formulas", "formula_mask"]
