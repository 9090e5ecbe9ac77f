"""Reading a text output: what kind it is (JSON, notebook, Markdown, plain text, CSV, TSV)
and, when it holds a table, the table. Pure; nothing the file contains enters a message."""

from __future__ import annotations

import json
import re
from typing import Any

import pyarrow as pa

from tre.sdc._i18n import _
from tre.sdc.findings import Finding
from tre.sdc.reports import split_layout
from tre.sdc.text import TableData, read_delimited, sniff_delimiter, table_from_arrow


def parse_text(text: str, extension: str) -> tuple[str, TableData | None, list[Finding], Any]:
    """The kind of a text output (json, ipynb, md, txt, csv, tsv), its table when the whole
    file is one, findings about a table that could not be read in full, and the parsed JSON
    document (None for other kinds). `extension` is the kind the name claims."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):  # malformed or hostile (deeply nested) JSON
            document = None
        if document is not None:
            if isinstance(document, dict) and "cells" in document and "nbformat" in document:
                return "ipynb", None, [], document
            return "json", _json_table(document), [], document
    if extension == "md" or re.match(r"^\s*#", text):
        return "md", None, [], None
    delimiter = sniff_delimiter(text)
    if delimiter is None or len(text.strip().splitlines()) < 2:  # a table has a row
        return "txt", None, [], None
    try:
        table = read_delimited(text, delimiter)
    except (pa.ArrowInvalid, ValueError):
        problem = _("The table could not be parsed; a reviewer must read it.")
        return "txt", None, [Finding("malformed-table", "review", problem)], None
    problems = []
    if table.ragged_rows:
        problems.append(
            Finding(
                "malformed-table",
                "review",
                _(
                    "{n} rows have a different number of fields from the header and were not "
                    "checked."
                ).format(n=table.ragged_rows),
            )
        )
    return ("tsv" if delimiter == "\t" else "csv"), table, problems, None


def _json_table(document: Any) -> TableData | None:
    """Records (a list of flat objects), columns (an object of equal-length lists) or the
    `columns`/`data` layout."""
    try:
        split = split_layout(document)
        if split is not None:
            return split
        if isinstance(document, list) and document and all(isinstance(r, dict) for r in document):
            rows = [{k: _scalar(v) for k, v in r.items()} for r in document]
            return table_from_arrow(pa.Table.from_pylist(rows))
        if (
            isinstance(document, dict)
            and document
            and all(isinstance(v, list) for v in document.values())
        ):
            return table_from_arrow(
                pa.table({k: [_scalar(x) for x in v] for k, v in document.items()})
            )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    return None


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)
