"""Which files the airlock takes in, and the checks it makes on them before storing.

What a file *is* (its kind from content, what its name claims, markup and active content,
the sidecar suffix) is decided by `tre.sdc.filetype`, shared with the disclosure checks and
the in-workspace pre-check. Here: which kinds intake accepts (an extension on the list whose
content is of the kind that extension promises; a Parquet file named `.csv`, a pickle named
`.txt`, or a zip anywhere is refused), sidecars under other names, and spreadsheet formulas
in tables, because a reviewer's spreadsheet would run them.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa

from tre.sdc import filetype
from tre.sdc.filetype import SIDECAR_SUFFIX, content_fits, is_sidecar_name, sniff
from tre.sdc.formulas import count_formulas

#: The kinds a release may hold; the airlock refuses any other before checking.
INTAKE_KINDS = frozenset(
    {"csv", "tsv", "txt", "md", "json", "parquet", "png", "jpeg", "svg", "html"}
)
#: extension (with dot) -> content kind it must have.
ACCEPTED: dict[str, str] = {
    f".{ext}": kind for ext, kind in filetype.EXTENSION_KIND.items() if kind in INTAKE_KINDS
}
TEXT_KINDS = filetype.TEXT_KINDS | filetype.MARKUP_KINDS
TABLE_KINDS = frozenset({"csv", "tsv", "parquet"})
_BATCH_ROWS = 65536


def is_sidecar_content(path: Path) -> bool:
    """Whether a JSON file is a provenance sidecar under another name (it says so)."""
    try:
        document = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and ("tre_sidecar" in document or "contributors" in document)


def has_active_content(path: Path) -> bool:
    return filetype.has_active_content(path.read_text(encoding="utf-8-sig", errors="replace"))


def formula_cells(path: Path, kind: str) -> int | None:
    """Number of cells (incl. header) that a spreadsheet would run as formulas (the rule is
    `tre.sdc.formulas`'); None when the file is not a well-formed table."""
    delim = "\t" if kind == "tsv" else ","
    con = duckdb.connect()
    found = 0
    try:
        relation = con.sql(
            "SELECT * FROM read_csv($path, all_varchar=true, header=false, delim=$delim,"
            " quote='\"', strict_mode=true, null_padding=false)",
            params={"path": str(path), "delim": delim},
        )
        reader = relation.to_arrow_reader(_BATCH_ROWS)
        for batch in reader:
            found += sum(count_formulas(column) for column in batch.columns)
    except (duckdb.Error, pa.ArrowException):
        return None
    finally:
        con.close()
    return found


def header(path: Path, kind: str) -> list[str] | None:
    """A CSV or TSV table's column names as DuckDB reads them (None: not a table)."""
    con = duckdb.connect()
    try:
        described = con.execute(
            "DESCRIBE SELECT * FROM read_csv(?, all_varchar=true, header=true, delim=?,"
            " quote='\"')",
            [str(path), "\t" if kind == "tsv" else ","],
        ).fetchall()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return [str(d[0]) for d in described]


__all__ = [
    "ACCEPTED",
    "SIDECAR_SUFFIX",
    "TABLE_KINDS",
    "content_fits",
    "formula_cells",
    "has_active_content",
    "header",
    "is_sidecar_content",
    "is_sidecar_name",
    "sniff",
]
