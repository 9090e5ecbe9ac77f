"""What a file really is (by content, never by name) and which kinds the airlock accepts.

Extensions only say what the author claims; `sniff` looks at the bytes. A file is accepted
only when its extension is on the list and its content is of the kind that extension
promises: a Parquet file named `.csv`, a pickle named `.txt`, or a zip anywhere is refused.
Active content (scripts in HTML or SVG) and spreadsheet formulas in tables are refused too,
because a reviewer's browser or spreadsheet would run them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from tre.sql import identifier

#: extension -> content kind it must have.
ACCEPTED: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "text",
    ".md": "text",
    ".log": "text",
    ".json": "json",
    ".parquet": "parquet",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".svg": "svg",
    ".html": "html",
    ".htm": "html",
}
TEXT_KINDS = frozenset({"csv", "tsv", "text", "json", "svg", "html"})
TABLE_KINDS = frozenset({"csv", "tsv", "parquet"})

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PAR1", "parquet"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF8", "gif"),
    (b"%PDF", "pdf"),
    (b"\x7fELF", "executable"),
    (b"\x93NUMPY", "numpy"),
    (b"\x89HDF", "hdf5"),
    (b"ARROW1", "arrow"),
)
_PICKLE = re.compile(rb"\A\x80[\x02-\x05]")
_ACTIVE = re.compile(
    r"<\s*script|<\s*iframe|<\s*object|<\s*embed|<\s*foreignobject|<\s*link\b|<\s*meta\b"
    r"|\bon[a-z]+\s*=|javascript\s*:|data\s*:\s*text/html|@import"
    r"|(?:xlink:)?href\s*=\s*[\"']?\s*(?!#)[a-z][a-z0-9+.-]*:",
    re.IGNORECASE,
)
# Cells a spreadsheet would run: =, @, tab or CR first, or + / - first unless a plain number.
_FORMULA_START = r"^(=|@|\t|\r)"
_SIGNED = r"^[+-]."
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def sniff(head: bytes, utf8_ok: bool) -> str:
    """The kind of a file from its first bytes and whether it all decoded as UTF-8."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if _PICKLE.match(head):
        return "pickle"
    if not head:
        return "empty"
    if b"\x00" in head or not utf8_ok:
        return "binary" if b"\x00" in head else "invalid_utf8"
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n").lower()
    if text.startswith("<svg") or (text.startswith("<?xml") and "<svg" in text):
        return "svg"
    if text.startswith(("<!doctype html", "<html")) or "<body" in text[:2048]:
        return "html"
    return "text"


def content_fits(kind: str, expected: str) -> bool:
    """Whether sniffed content `kind` is what an extension promising `expected` may hold."""
    if expected in ("csv", "tsv", "text", "json"):
        return kind == "text"
    return kind == expected


#: The suffix of a provenance sidecar beside a table (`counts.csv.tre.json`).
SIDECAR_SUFFIX = ".tre.json"


def is_sidecar_name(name: str) -> bool:
    return name.lower().endswith(SIDECAR_SUFFIX)


def is_sidecar_content(path: Path) -> bool:
    """Whether a JSON file is a provenance sidecar under another name (it says so)."""
    try:
        document = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and ("tre_sidecar" in document or "contributors" in document)


def has_active_content(path: Path) -> bool:
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    return bool(_ACTIVE.search(text))


def formula_cells(path: Path, kind: str) -> int | None:
    """Number of cells (incl. header) that a spreadsheet would run as formulas.

    None when the file is not a well-formed table.
    """
    delim = "\t" if kind == "tsv" else ","
    con = duckdb.connect()
    try:
        described = con.execute(
            "DESCRIBE SELECT * FROM read_csv(?, all_varchar=true, header=false, delim=?,"
            " quote='\"', strict_mode=true, null_padding=false)",
            [str(path), delim],
        ).fetchall()
        cols = [identifier(str(d[0])) for d in described]
        if not cols:
            return 0
        cond = " + ".join(
            f"count(*) FILTER (WHERE regexp_matches({c}, '{_FORMULA_START}') OR"
            f" (regexp_matches({c}, '{_SIGNED}') AND NOT regexp_matches({c}, '{_NUMBER}')))"
            for c in cols
        )
        row = con.execute(
            f"SELECT {cond} FROM read_csv(?, all_varchar=true, header=false, delim=?,"
            " quote='\"', strict_mode=true, null_padding=false)",
            [str(path), delim],
        ).fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return int(row[0]) if row else 0
