"""What a file is, from its content, and what its name claims: the one place that knows.

Used by the airlock's intake, by the disclosure checks and by the in-workspace pre-check, so
they cannot disagree. Standard library only: the workspace image imports it too.

- `EXTENSION_KIND`: the kind a file name claims (`.jpg` claims `jpeg`).
- `sniff_binary(head)`: the binary kind from the first bytes, or None when it may be text.
- `sniff(head, utf8_ok)`: one word for any file (binary kind, `svg`/`html`/`xml`, `text`,
  `binary`, `invalid_utf8`, `empty`), as the airlock records it.
- `markup_kind(text)`, `has_active_content(text)`: markup and what a browser would run.
- `SIDECAR_SUFFIX`: the provenance sidecar beside an output (`counts.csv.tre.json`).
"""

from __future__ import annotations

import re
from pathlib import Path

#: extension (lower case, no dot) -> the kind of content that name claims.
EXTENSION_KIND: dict[str, str] = {
    "csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "txt": "txt",
    "log": "txt",
    "md": "md",
    "json": "json",
    "ipynb": "ipynb",
    "parquet": "parquet",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "svg": "svg",
    "html": "html",
    "htm": "html",
}
#: kinds whose content is plain text (sniffed as `text`), told apart by parsing.
TEXT_KINDS = frozenset({"csv", "tsv", "txt", "md", "json", "ipynb"})
MARKUP_KINDS = frozenset({"svg", "html", "xml"})
IMAGE_KINDS = frozenset({"png", "jpeg", "gif", "bmp", "tiff", "webp"})
ARCHIVE_KINDS = frozenset({"zip", "gzip", "bzip2", "xz", "zstd", "7z", "rar"})
#: data stores and programs: never released under any name.
FORBIDDEN_KINDS = frozenset(
    {"pickle", "executable", "sqlite", "duckdb", "numpy", "hdf5", "arrow", "ole"}
)

# (magic prefix, offset, kind). Order matters: longer, more specific signatures first.
_MAGIC: list[tuple[bytes, int, str]] = [
    (b"PAR1", 0, "parquet"),
    (b"SQLite format 3\x00", 0, "sqlite"),
    (b"DUCK", 8, "duckdb"),
    (b"ARROW1", 0, "arrow"),
    (b"\x89HDF\r\n\x1a\n", 0, "hdf5"),
    (b"\x93NUMPY", 0, "numpy"),
    (b"\x89PNG\r\n\x1a\n", 0, "png"),
    (b"\xff\xd8\xff", 0, "jpeg"),
    (b"GIF87a", 0, "gif"),
    (b"GIF89a", 0, "gif"),
    (b"BM", 0, "bmp"),
    (b"II*\x00", 0, "tiff"),
    (b"MM\x00*", 0, "tiff"),
    (b"%PDF", 0, "pdf"),
    (b"PK\x03\x04", 0, "zip"),
    (b"PK\x05\x06", 0, "zip"),
    (b"PK\x07\x08", 0, "zip"),
    (b"\x1f\x8b", 0, "gzip"),
    (b"BZh", 0, "bzip2"),
    (b"\xfd7zXZ\x00", 0, "xz"),
    (b"(\xb5/\xfd", 0, "zstd"),
    (b"7z\xbc\xaf'\x1c", 0, "7z"),
    (b"Rar!\x1a\x07", 0, "rar"),
    (b"\x7fELF", 0, "executable"),
    (b"MZ", 0, "executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "ole"),  # old Office, .msg
    (b"{\\rtf", 0, "rtf"),
]
# A pickle starts with the PROTO opcode (0x80) then the protocol number 2..5.
_PICKLE = re.compile(rb"\A\x80[\x02-\x05]")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

BINARY_KINDS = frozenset(kind for _, _, kind in _MAGIC) | {"pickle", "webp", "binary"}


def claimed_kind(name: str) -> str | None:
    """The kind a file name claims by its extension, or None for an unknown extension."""
    return EXTENSION_KIND.get(name.rsplit(".", 1)[-1].lower()) if "." in name else None


def sniff_binary(head: bytes) -> str | None:
    """The binary kind of a file from its first bytes, or None if it may be text."""
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    for magic, offset, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if kind == "executable" and magic == b"MZ" and b"\x00" not in head[:64]:
                continue  # text that happens to start with "MZ"
            if kind == "bmp" and b"\x00" not in head[:32]:
                continue  # text starting with "BM"
            return kind
    if _PICKLE.match(head):
        return "pickle"
    if head.startswith(_BOMS):
        return None
    # NUL bytes outside UTF-16/32 text mean binary data.
    if b"\x00" in head[:8192] and not _looks_utf16(head):
        return "binary"
    return None


def _looks_utf16(head: bytes) -> bool:
    sample = head[:512]
    if len(sample) < 4:
        return False
    zeros_even = sample[0::2].count(0)
    zeros_odd = sample[1::2].count(0)
    half = len(sample) // 2
    return max(zeros_even, zeros_odd) > 0.4 * half and min(zeros_even, zeros_odd) < 0.05 * half


def sniff(head: bytes, utf8_ok: bool) -> str:
    """One word for what a file is, from its first bytes and whether it all decoded as UTF-8."""
    if not head:
        return "empty"
    binary = sniff_binary(head)
    if binary is not None:
        return binary
    if not utf8_ok:
        return "invalid_utf8"
    return markup_kind(head.decode("utf-8", errors="ignore")) or "text"


def content_fits(kind: str, claimed: str) -> bool:
    """Whether content sniffed as `kind` is what a name claiming `claimed` may hold."""
    if claimed in TEXT_KINDS:
        return kind == "text"
    return kind == claimed


_SVG = re.compile(r"<svg[\s>]", re.IGNORECASE)
_XML = re.compile(r"^\s*<\?xml", re.IGNORECASE)
_HTML = re.compile(
    r"^\s*(<!doctype\s+html|<html|<head|<body|<script|<iframe|<meta|<link)", re.IGNORECASE
)
_HTML_ANYWHERE = re.compile(r"<body[\s>]", re.IGNORECASE)
# What a browser would run or fetch: scripts, handlers, frames and objects, style sheets and
# meta refreshes, `@import`, HTML in data: URLs, and links (href) to another scheme.
_ACTIVE = re.compile(
    r"<\s*script|<\s*iframe|<\s*object|<\s*embed|<\s*foreignobject|<\s*link\b|<\s*meta\b"
    r"|\bon[a-z]+\s*=|javascript\s*:|data\s*:\s*text/html|@import"
    r"|(?:xlink:)?href\s*=\s*[\"']?\s*(?!#)[a-z][a-z0-9+.-]*:",
    re.IGNORECASE,
)


def markup_kind(text: str) -> str | None:
    """'svg', 'html' or 'xml' when decoded text is markup, else None."""
    head = text[:4096].lstrip("\ufeff")
    if _SVG.search(head) and (_XML.match(head) or head.lstrip().startswith("<")):
        return "svg"
    if _HTML.match(head) or _HTML_ANYWHERE.search(head[:2048]):
        return "html"
    if _XML.match(head):
        return "xml"
    return None


def has_active_content(text: str) -> bool:
    """Script, event handlers, embedded objects or external references in markup."""
    return _ACTIVE.search(text) is not None


#: The suffix of a provenance sidecar beside an output (`counts.csv.tre.json`).
SIDECAR_SUFFIX = ".tre.json"


def sidecar_path(output: str | Path) -> Path:
    """Where the provenance sidecar of `output` lives."""
    return Path(f"{output}{SIDECAR_SUFFIX}")


def is_sidecar_name(name: str) -> bool:
    return name.lower().endswith(SIDECAR_SUFFIX)


__all__ = [
    "ARCHIVE_KINDS",
    "BINARY_KINDS",
    "EXTENSION_KIND",
    "FORBIDDEN_KINDS",
    "IMAGE_KINDS",
    "SIDECAR_SUFFIX",
    "TEXT_KINDS",
    "claimed_kind",
    "content_fits",
    "has_active_content",
    "is_sidecar_name",
    "markup_kind",
    "sidecar_path",
    "sniff",
    "sniff_binary",
]
