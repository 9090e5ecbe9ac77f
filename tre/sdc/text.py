"""Decoding text and reading delimited tables robustly.

Encodings: UTF-8 (with or without BOM) and UTF-16/32 with a BOM are read; other bytes are tried
as Shift_JIS (cp932, common for Japanese spreadsheets) and otherwise refused. Delimiters are
sniffed from the first lines (comma, tab, semicolon, pipe); quoted fields, embedded newlines
and CRLF are handled by Arrow's CSV reader. Every cell is first read as a string, so markers
such as `<10` or `*` survive, and numeric columns are derived from it.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv


class DecodeProblem(Exception):
    """The bytes are not text in an encoding the checks can read."""


@dataclass
class Decoded:
    text: str
    encoding: str
    had_bom: bool


_BOM_CODECS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def decode(data: bytes) -> Decoded:
    """Decode bytes, raising DecodeProblem when they are not readable text."""
    for bom, name in _BOM_CODECS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(name), name, True)
            except UnicodeDecodeError as exc:
                raise DecodeProblem(name) from exc
    try:
        return Decoded(data.decode("utf-8"), "utf-8", False)
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as exc:
        raise DecodeProblem("utf-8") from exc
    return Decoded(text, "cp932", False)


SUPPRESSION_MARKERS = frozenset(
    {"*", "**", "-", "~", "c", "x", "[c]", "[x]", "..", ".", "s", "suppressed", "redacted", "<5"}
)
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none"})
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_LESS_THAN = r"^<\s*\d+$"
_COUNT_WITH_PERCENT = r"^([0-9][0-9,]*)\s*[(（]\s*[0-9.]+\s*%?\s*[)）]$"


@dataclass
class TableData:
    """A table read from a file: raw strings plus derived numbers.

    `numeric[name]` holds float64 values (null where the cell is not a number) for columns
    whose every non-empty cell is a number or a suppression marker; `suppressed[name]` marks
    cells holding such a marker (`*`, `<10`, `c`, ...).

    `names` are what findings call the columns; `headers` the header cells as read, which
    may be record values (a person's identifier as a column header): rules read them to
    recognise what a header is, never to name a column (see `tre.sdc.columns`).
    """

    names: list[str]
    raw: pa.Table
    numeric: dict[str, pa.Array] = field(default_factory=dict)
    suppressed: dict[str, pa.Array] = field(default_factory=dict)
    ragged_rows: int = 0
    headers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.headers:
            self.headers = list(self.names)

    @property
    def num_rows(self) -> int:
        return self.raw.num_rows

    def flat(self, columns: list[str] | None = None) -> pa.Array:
        """All cells of `columns` (default all) as one string array, column after column."""
        chosen = self.names if columns is None else columns
        arrays = [self.raw.column(n).combine_chunks() for n in chosen]
        return pa.concat_arrays(arrays) if arrays else pa.array([], pa.string())

    def grid(self, mask: pa.Array, columns: list[str] | None = None) -> np.ndarray:
        """A flat boolean mask from `flat(columns)` as a (columns, rows) array."""
        width = len(self.names if columns is None else columns)
        return _grid(mask, width, self.num_rows)

    @property
    def label_columns(self) -> list[str]:
        return [n for n in self.names if n not in self.numeric]

    @property
    def value_columns(self) -> list[str]:
        return [n for n in self.names if n in self.numeric]


def sniff_delimiter(text: str) -> str | None:
    """The delimiter that splits the first lines into a consistent number (>1) of fields."""
    lines = text[:65536].splitlines()[:50]
    if len(lines) > 1 and not text[:65536].endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut
    best: tuple[float, str] | None = None
    for delimiter in (",", "\t", ";", "|"):
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        if not counts:
            continue
        width = max(set(counts), key=counts.count)
        consistency = counts.count(width) / len(counts)
        if width > 1 and consistency >= 0.8:
            score = consistency * 100 + width
            if best is None or score > best[0]:
                best = (score, delimiter)
    return best[1] if best else None


def read_delimited(text: str, delimiter: str) -> TableData:
    """Parse a delimited table; every cell kept as a string, then numbers derived."""
    header_line = next(csv.reader(io.StringIO(text[:65536]), delimiter=delimiter), [])
    names = _unique_names([h.strip() for h in header_line])
    ragged = 0

    def skip_row(_row: object) -> str:
        nonlocal ragged
        ragged += 1
        return "skip"

    body = text.encode("utf-8")
    table = pacsv.read_csv(
        io.BytesIO(body),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=skip_row
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    data = TableData(names=names, raw=table, ragged_rows=ragged)
    _derive_numbers(data)
    return data


def table_from_arrow(table: pa.Table) -> TableData:
    """A TableData from an Arrow table (as the client writes): numeric columns are taken as
    they are, other cells rendered as strings."""
    names = _unique_names(table.column_names)
    rows = table.num_rows
    numeric_names = [
        n
        for n, c in zip(names, table.columns, strict=True)
        if pa.types.is_integer(c.type) or pa.types.is_floating(c.type)
    ]
    raw: dict[str, pa.Array] = {}
    numeric: dict[str, pa.Array] = {}
    if numeric_names:
        matrix = np.concatenate(
            [
                np.asarray(table.column(names.index(n)).to_numpy(), dtype=float)
                for n in numeric_names
            ]
        )
        values = pa.array(matrix, pa.float64(), from_pandas=True)  # NaN becomes null
        text = pc.fill_null(pc.cast(values, pa.string()), "")
        for j, name in enumerate(numeric_names):
            numeric[name] = values.slice(j * rows, rows)
            raw[name] = text.slice(j * rows, rows)
    for name, column in zip(names, table.columns, strict=True):
        if name not in raw:
            raw[name] = pc.fill_null(pc.cast(column.combine_chunks(), pa.string()), "")
    data = TableData(names=names, raw=pa.table([raw[n] for n in names], names=names))
    if numeric:
        no_marker = pa.array(np.zeros(rows, dtype=bool))
        data.numeric = numeric
        data.suppressed = dict.fromkeys(numeric, no_marker)
    else:
        _derive_numbers(data)
    return data


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        base = name or f"column_{i + 1}"
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.append(base if count == 0 else f"{base}.{count}")
    return out


def _derive_numbers(data: TableData) -> None:
    """Find numeric columns, working on all cells at once (column-major) for speed."""
    rows, width = data.num_rows, len(data.names)
    if rows == 0 or width == 0:
        return
    flat = pc.utf8_trim_whitespace(data.flat())
    lowered = pc.utf8_lower(flat)
    missing = pc.is_in(lowered, value_set=pa.array(sorted(MISSING_MARKERS)))
    marker = pc.or_(
        pc.is_in(lowered, value_set=pa.array(sorted(SUPPRESSION_MARKERS))),
        pc.match_substring_regex(flat, _LESS_THAN),
    )
    # "n (pct%)" as clinical tables print it: the count is the number before the brackets.
    if (
        pc.any(pc.match_substring(flat, "(")).as_py()
        or pc.any(pc.match_substring(flat, "（")).as_py()
    ):
        flat = pc.replace_substring_regex(flat, _COUNT_WITH_PERCENT, r"\1")
    cleaned = pc.replace_substring(flat, ",", "")  # thousands separators
    is_number = pc.match_substring_regex(cleaned, _NUMBER)
    other = pc.invert(pc.or_(pc.or_(missing, marker), is_number))
    numbers = _grid(is_number, width, rows).sum(axis=1)
    others = _grid(other, width, rows).any(axis=1)
    values = pc.cast(pc.if_else(is_number, cleaned, None), pa.float64())
    for j in np.flatnonzero((numbers > 0) & ~others):
        name = data.names[int(j)]
        data.numeric[name] = values.slice(int(j) * rows, rows)
        data.suppressed[name] = marker.slice(int(j) * rows, rows)


def _grid(mask: pa.Array, width: int, rows: int) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False)).reshape(width, rows)
