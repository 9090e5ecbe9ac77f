"""Images are parsed, not sniffed: what a picture file carries besides the picture.

A PNG is a chain of chunks ending with IEND; a JPEG a chain of segments whose image data ends
with EOI. Bytes after the end are invisible to a viewer and travel with the file; text chunks
(tEXt, zTXt, iTXt) and JPEG comments or metadata (COM, APPn) can hold anything. What they
hold is read as text and looked at as any output would be: rows of a table or identifiers
block the file; other text is for a reviewer.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field

import pyarrow as pa

from tre.sdc._i18n import _
from tre.sdc.findings import Finding
from tre.sdc.identifiers import strong_tokens
from tre.sdc.reports import tables_in_text

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Text a plotting library writes by itself (matplotlib, Pillow, R's png()).
_ROUTINE_KEYS = frozenset({b"Software", b"Creation Time", b"dpi"})
_MAX_TEXT = 1 << 20


@dataclass
class ImageParts:
    """What an image file holds besides its pixels."""

    trailing: bytes = b""  # after IEND / EOI
    texts: list[str] = field(default_factory=list)  # text chunks, comments, metadata
    problem: str | None = None  # "truncated" or "malformed" when the structure is broken


def png_parts(data: bytes) -> ImageParts:
    parts = ImageParts()
    pos = len(_PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            parts.problem = "truncated"
            return parts
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) < length or pos + 12 + length > len(data):
            parts.problem = "truncated"
            return parts
        pos += 12 + length
        if kind == b"IEND":
            parts.trailing = data[pos:]
            return parts
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            text = _png_text(kind, body)
            if text is None:
                parts.problem = "malformed"
            elif text:
                parts.texts.append(text)


def _png_text(kind: bytes, body: bytes) -> str | None:
    """The text of a chunk ('' for a routine key such as Software), None when unreadable."""
    key, sep, rest = body.partition(b"\x00")
    if not sep:
        return None
    try:
        if kind == b"tEXt":
            value = rest
        elif kind == b"zTXt":
            value = zlib.decompressobj().decompress(rest[1:], _MAX_TEXT)
        else:  # iTXt: compression flag, method, language\0, translated key\0, text
            flag = rest[:1]
            _lang, _, after = rest[2:].partition(b"\x00")
            _translated, _, value = after.partition(b"\x00")
            if flag == b"\x01":
                value = zlib.decompressobj().decompress(value, _MAX_TEXT)
    except zlib.error:
        return None
    if key in _ROUTINE_KEYS and len(value) < 512:
        return ""
    return value.decode("utf-8", errors="replace")


def jpeg_parts(data: bytes) -> ImageParts:
    parts = ImageParts()
    pos = 2  # after SOI
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            parts.problem = "malformed"
            return parts
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # EOI without image data
            parts.trailing = data[pos + 2 :]
            return parts
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos + 4 : pos + 2 + length]
        if length < 2 or pos + 2 + length > len(data):
            parts.problem = "truncated"
            return parts
        if marker == 0xFE or (0xE1 <= marker <= 0xEF):  # COM, APP1..APP15 (EXIF, XMP, ...)
            parts.texts.append(segment.decode("utf-8", errors="replace"))
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data until a real marker
            end = _end_of_scan(data, pos)
            if end is None:
                parts.problem = "truncated"
                return parts
            pos = end
    parts.problem = "truncated"
    return parts


def _end_of_scan(data: bytes, pos: int) -> int | None:
    """Position of the marker that ends entropy-coded data (FF00 and RSTn do not)."""
    while True:
        found = data.find(b"\xff", pos)
        if found < 0 or found + 1 >= len(data):
            return None
        following = data[found + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos = found + 1 if following == 0xFF else found + 2
            continue
        return found


def image_parts(kind: str, data: bytes) -> ImageParts | None:
    if kind == "png":
        return png_parts(data)
    if kind == "jpeg":
        return jpeg_parts(data)
    return None


def image_findings(kind: str, data: bytes) -> list[Finding]:
    """What an image carries besides its pixels: data after its end, text chunks, metadata."""
    parts = image_parts(kind, data)
    if parts is None:
        return []
    findings = []
    if parts.problem is not None:
        findings.append(
            Finding(
                "image-structure",
                "review",
                _("The image is {problem}: it cannot be read in full.").format(
                    problem=parts.problem
                ),
            )
        )
    hidden = (
        [parts.trailing.decode("utf-8", errors="replace")]
        if parts.trailing.strip(b"\x00\r\n\t ")
        else []
    )
    for where, texts in (("after-end", hidden), ("metadata", parts.texts)):
        for text in texts:
            holds_rows = bool(tables_in_text(text)) or strong_tokens(text_tokens(text)) >= 2
            if where == "after-end" or holds_rows:
                findings.append(
                    Finding(
                        "hidden-data",
                        "block" if holds_rows or len(text) > 64 else "review",
                        (
                            _(
                                "The image carries data after its end marker, invisible to "
                                "a viewer ({n} bytes)."
                            )
                            if where == "after-end"
                            else _(
                                "The image's text chunks or metadata hold table rows or "
                                "identifiers ({n} characters)."
                            )
                        ).format(n=len(text)),
                    )
                )
            elif len(text.strip()) > 0:
                findings.append(
                    Finding(
                        "image-text",
                        "review",
                        _("The image carries text in its metadata; a reviewer must read it."),
                    )
                )
    return findings


def text_tokens(text: str) -> pa.Array:
    return pa.array(sorted(set(re.findall(r"[0-9A-Za-z+/=_-]{8,}", text))), pa.string())


__all__ = ["ImageParts", "image_findings", "image_parts", "jpeg_parts", "png_parts", "text_tokens"]
