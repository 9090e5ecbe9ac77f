"""File type from content, never from the name.

`sniff(head)` looks at the first bytes; text is classified later by `tre.sdc.text` once it is
decoded. Extensions only choose between text kinds (txt or md) and are compared against the
content to report disguised files.
"""

from __future__ import annotations

import re

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
_PICKLE = re.compile(rb"^\x80[\x02-\x05]")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

BINARY_KINDS = frozenset(kind for _, _, kind in _MAGIC) | {"pickle", "binary"}
IMAGE_KINDS = frozenset({"png", "jpeg", "gif", "bmp", "tiff", "webp"})


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


_SCRIPT = re.compile(
    r"<\s*script|javascript:|\bon[a-z]+\s*=|<\s*iframe|<\s*object|<\s*embed|<\s*foreignobject",
    re.IGNORECASE,
)
_HTML = re.compile(r"^\s*(<!doctype\s+html|<html|<head|<body|<script|<iframe|<meta)", re.IGNORECASE)
_SVG = re.compile(r"<svg[\s>]", re.IGNORECASE)
_XML = re.compile(r"^\s*<\?xml", re.IGNORECASE)


def markup_kind(text: str) -> str | None:
    """'svg', 'html' or 'xml' when decoded text is markup, else None."""
    head = text[:4096]
    if _SVG.search(head) and (_XML.match(head) or head.lstrip().startswith("<")):
        return "svg"
    if _HTML.match(head):
        return "html"
    if _XML.match(head):
        return "xml"
    return None


def has_active_content(text: str) -> bool:
    """Script, event handlers or embedded objects in markup."""
    return _SCRIPT.search(text) is not None
