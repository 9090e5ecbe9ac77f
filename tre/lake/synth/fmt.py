"""Vectorised JSON-line building with Arrow compute: no Python loop per record.

A resource is rendered by joining literal JSON fragments with string columns element-wise
(`pc.binary_join_element_wise`). Vocabulary strings are JSON-escaped once, when the
vocabulary array is built; numbers, dates and hex ids cannot need escaping.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Part: TypeAlias = str | pa.Array | pa.ChunkedArray


def vocab(values: Sequence[str]) -> pa.Array:
    """An Arrow string array of JSON-escaped values (without surrounding quotes)."""
    return pa.array([json.dumps(v, ensure_ascii=False)[1:-1] for v in values], pa.string())


def take(values: pa.Array, index: np.ndarray) -> pa.Array:
    return pc.take(values, pa.array(index, pa.int64()))


def join(*parts: Part) -> pa.Array:
    """Concatenate literals and equally long string columns element-wise."""
    result = pc.binary_join_element_wise(*parts, "")
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


def num(values: np.ndarray) -> pa.Array:
    """Numbers as JSON text (integers stay integers)."""
    return pc.cast(pa.array(values), pa.string())


def padded(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers as zero-padded decimal text."""
    return pc.utf8_lpad(pc.cast(pa.array(values, pa.int64()), pa.string()), width, "0")


def when(mask: np.ndarray, text: pa.Array | str) -> pa.Array:
    """`text` where `mask` is true, else the empty string (for optional JSON members)."""
    if isinstance(text, str):
        text = pa.array(np.full(len(mask), text, dtype=object), pa.string())
    return pc.if_else(pa.array(mask), text, "")


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# Where each of the 32 hex digits goes in the 36-character 8-4-4-4-12 layout.
_HEX_COLUMNS = np.array([i + (i >= 8) + (i >= 12) + (i >= 16) + (i >= 20) for i in range(32)])


def hex_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """`n` random UUID-shaped ids (8-4-4-4-12 hex), laid out in one buffer without a loop."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 15]
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    text[:, _HEX_COLUMNS] = digits
    offsets = np.arange(0, 36 * n + 1, 36, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))


def timestamps(seconds: np.ndarray, suffix: str = "+09:00") -> pa.Array:
    """Epoch seconds as FHIR dateTime text in Japan time (the epoch is taken as local)."""
    # A cast plus a replace is about ten times faster than pc.strftime.
    text = pc.cast(pa.array(seconds.astype("datetime64[s]")), pa.string())
    return join(pc.replace_substring(text, " ", "T"), suffix)


def dates(days: np.ndarray) -> pa.Array:
    """Epoch days as FHIR date text."""
    return pc.cast(pa.array(days.astype("datetime64[D]")), pa.string())


def lines_bytes(lines: pa.Array) -> memoryview:
    """The concatenated bytes of a string array whose values each end in a newline."""
    if lines.null_count:
        raise ValueError("rendered lines must not contain nulls")
    if len(lines) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(
        lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=4 * lines.offset
    )
    data = lines.buffers()[2]
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]
