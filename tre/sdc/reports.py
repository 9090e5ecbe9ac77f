"""Tables inside reports: Markdown pipe tables, delimited or aligned blocks in plain text,
tables nested anywhere in JSON, and the figures written around a table (a footer's total,
"n = 37", a model's residual degrees of freedom).

A report that embeds a table is checked as that table; a report of thousands of record
lines is row-level, whatever prose surrounds it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from tre.sdc.roles import named_value
from tre.sdc.text import TableData, read_delimited, sniff_delimiter, table_from_arrow

MAX_TABLES = 50
KEY_COLUMN = "index"  # the column of an object's keys, named as pandas names it
MAX_BLOCKS = 2000  # paragraphs looked at for tables; a longer report is read by a person
_DF = re.compile(r"(?i)(^df|_df$|df_|nobs|observations|自由度)")
_MD_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_ALIGNED = re.compile(r"\S(?:\s{2,})\S")
_NUMBER = r"(-?\d[\d,]*(?:\.\d+)?)"
_FOOTERS = {
    "total": re.compile(
        r"(?im)^\s*(?:grand\s+)?(?:total|all|overall|合計|総数|総計|計)\s*(?:\([^)]*\))?\s*[:=：]\s*"
        + _NUMBER
        + r"\s*$"
    ),
    "n": re.compile(
        r"(?i)(?:^|[\s(;,\"'])(?:n|N|no\.?\s*observations|number\s+of\s+obs(?:ervations)?|"
        r"nobs|n_obs|observations|観測数|対象者数|症例数|サンプルサイズ)[\"']?\s*[:=：]\s*"
        + _NUMBER
    ),
    "df_resid": re.compile(
        r"(?i)(?:df\s*resid(?:uals)?|residual\s+df|df\s+residuals|残差自由度)\s*[:=：]?\s*"
        + _NUMBER
    ),
}


@dataclass
class TextFacts:
    """Figures stated in the text around tables."""

    total: float | None = None
    n: float | None = None
    df_resid: float | None = None
    tables: list[TableData] = field(default_factory=list)
    record_lines: int = 0  # lines of the largest embedded table


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def text_facts(text: str) -> TextFacts:
    facts = TextFacts()
    # Only short lines that state something ("n = 12", "Total: 340") can hold these figures.
    stated = "\n".join(
        line
        for line in text.splitlines()
        if len(line) < 300 and ("=" in line or ":" in line or "：" in line)
    )
    for key, pattern in _FOOTERS.items():
        match = pattern.search(stated)
        if match:
            setattr(facts, key, _number(match.group(1)))
    return facts


def tables_in_text(text: str) -> list[TableData]:
    """Blocks of at least two lines that split into the same number (>= 2) of fields."""
    found: list[TableData] = []
    for seen, block in enumerate(_blocks(text)):
        if len(found) >= MAX_TABLES or seen >= MAX_BLOCKS:
            break
        table = _block_table(block)
        if table is not None and table.num_rows >= 1:
            found.append(table)
    return found


def _blocks(text: str) -> Iterator[list[str]]:
    block: list[str] = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _block_table(lines: list[str]) -> TableData | None:
    if len(lines) < 2:
        return None
    if "|" in lines[0] and any(_MD_SEPARATOR.match(line) for line in lines[1:3]):
        rows = [line for line in lines if not _MD_SEPARATOR.match(line)]
        cleaned = [line.strip().strip("|") for line in rows]
        return _parse("\n".join(cleaned) + "\n", "|")
    joined = "\n".join(lines) + "\n"
    delimiter = sniff_delimiter(joined)
    if delimiter is not None:
        return _parse(joined, delimiter)
    if sum(1 for line in lines if _ALIGNED.search(line)) >= 0.8 * len(lines):
        aligned = "\n".join(re.sub(r"\s{2,}", "\t", line.strip()) for line in lines) + "\n"
        if sniff_delimiter(aligned) == "\t":
            return _parse(aligned, "\t")
    return None


def _parse(text: str, delimiter: str) -> TableData | None:
    try:
        table = read_delimited(text, delimiter)
    except (pa.ArrowInvalid, ValueError):
        return None
    if len(table.names) < 2:
        return None
    return table


def tables_in_json(document: Any) -> list[TableData]:
    """Every table anywhere in a JSON document: lists of flat objects, objects of equal-length
    lists, objects of flat objects (a column per key, as pandas writes by default, or a row per
    key, `orient="index"`, told apart by the types each object holds), the
    `columns`/`data` layout (`orient="split"`), and objects of scalars (a one-row table, such
    as a model's summary figures)."""
    found: list[TableData] = []
    stack: list[Any] = [document]
    while stack and len(found) < MAX_TABLES:
        node = stack.pop()
        table = _json_table(node)
        if table is not None:
            found.append(table)
        if isinstance(node, dict) and not (table is not None and _keyed_rows(node)):
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list) and table is None:
            stack.extend(v for v in node if isinstance(v, dict | list))
    return found


def _json_table(node: Any) -> TableData | None:
    try:
        if isinstance(node, list) and node and all(isinstance(r, dict) for r in node):
            flat = [
                {k: _scalar(v) for k, v in r.items() if not isinstance(v, dict | list)}
                for r in node
            ]
            if any(flat):
                return table_from_arrow(pa.Table.from_pylist(flat))
        if _keyed_rows(node) and not _runs_as_columns(node):
            # The key is the row's label: a pseudonym keying a person's record is a value.
            key = KEY_COLUMN if not any(KEY_COLUMN in r for r in node.values()) else ""
            rows = [
                {key: str(k), **{str(c): _scalar(v) for c, v in r.items()}} for k, r in node.items()
            ]
            return table_from_arrow(pa.Table.from_pylist(rows))
        if _keyed_rows(node):
            return _keyed_columns(node)
        split = split_layout(node)
        if split is not None:
            return split
        if isinstance(node, dict) and node:
            values = list(node.values())
            if all(isinstance(v, list) for v in values) and len({len(v) for v in values}) == 1:
                return table_from_arrow(
                    pa.table({str(k): [_scalar(x) for x in v] for k, v in node.items()})
                )
            # Only figures named as counts or statistics: a version or an id is not a cell.
            scalars = {
                str(k): v
                for k, v in node.items()
                if isinstance(v, str)
                or (
                    not isinstance(v, dict | list | bool)
                    and (named_value(str(k)) or _DF.search(str(k)))
                )
            }
            if len(scalars) >= 2 and any(isinstance(v, int | float) for v in scalars.values()):
                return table_from_arrow(pa.table({k: [_scalar(v)] for k, v in scalars.items()}))
            # Labels as keys, numbers as values: a one-way table ({"I10": 812, ...}).
            numbers = {
                str(k): v
                for k, v in node.items()
                if isinstance(v, int | float) and not isinstance(v, bool)
            }
            if len(numbers) >= 3 and len(numbers) >= 0.5 * len(node):
                return table_from_arrow(
                    pa.table({"label": list(numbers), "value": list(numbers.values())})
                )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    return None


def _keyed_rows(node: Any) -> bool:
    """An object of two or more flat objects ({"A01": {"age": 34, "sex": "F"}, ...})."""
    return (
        isinstance(node, dict)
        and len(node) >= 2
        and all(
            isinstance(r, dict) and r and not any(isinstance(v, dict | list) for v in r.values())
            for r in node.values()
        )
    )


def _runs_as_columns(node: dict[str, Any]) -> bool:
    """Whether the inner objects are columns: a variable holds one type, so objects that each
    hold only text or only numbers are columns (pandas' default layout); objects that mix them
    are records."""
    return all(
        len({isinstance(v, str) for v in column.values() if v is not None}) <= 1
        for column in node.values()
    )


def _keyed_columns(node: dict[str, Any]) -> TableData:
    """An object of flat objects read as a column per key, the inner keys labelling rows."""
    labels = list(dict.fromkeys(str(k) for r in node.values() for k in r))
    key = KEY_COLUMN if KEY_COLUMN not in node else ""
    table: dict[str, list[str | None]] = {key: list(labels)}
    for name, column in node.items():
        by_label = {str(k): v for k, v in column.items()}
        table[str(name)] = [_scalar(by_label.get(label)) for label in labels]
    return table_from_arrow(pa.table(table))


def split_layout(node: Any) -> TableData | None:
    """{"columns": [...], "data": [[...], ...], "index": [...]} as pandas writes it."""
    if not isinstance(node, dict) or not isinstance(node.get("columns"), list):
        return None
    columns, data = [str(c) for c in node["columns"]], node.get("data")
    if not columns or not isinstance(data, list) or not data:
        return None
    if not all(isinstance(r, list) and len(r) == len(columns) for r in data):
        return None
    table = {c: [_scalar(r[j]) for r in data] for j, c in enumerate(columns)}
    index = node.get("index")
    if isinstance(index, list) and len(index) == len(data) and KEY_COLUMN not in table:
        table = {KEY_COLUMN: [_scalar(i) for i in index], **table}
    return table_from_arrow(pa.table(table))


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


__all__ = ["TextFacts", "split_layout", "tables_in_json", "tables_in_text", "text_facts"]
