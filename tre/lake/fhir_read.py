"""Input files to bounded Arrow batches of raw JSON text, without a Python loop per record.

NDJSON (plain or gzip) is read in blocks; line boundaries are found with numpy and the block
becomes an Arrow string array by reference (no copy, no Python object per line). A Bundle
(`*.json`, optionally gzip) is one document; several small bundles share a batch.

Each batch is an Arrow table `(file_no int32, line int64, kind string, doc string)`, where
`kind` is `ndjson` (one resource per row, `line` its line number) or `bundle` (a whole
document, `line` 1). Parsing and validation happen in DuckDB (tre.lake.fhir).
"""

from __future__ import annotations

import gzip
import io
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pyarrow as pa

from tre.errors import InputError
from tre.i18n import _

NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
BUNDLE_SUFFIXES = (".json", ".json.gz")
SCHEMA = pa.schema(
    [
        ("file_no", pa.int32()),
        ("line", pa.int64()),
        ("kind", pa.string()),
        ("doc", pa.large_string()),
    ]
)


@dataclass(frozen=True)
class InputFile:
    path: Path
    kind: str  # ndjson | bundle

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(NDJSON_SUFFIXES):
        return "ndjson"
    if name.endswith(BUNDLE_SUFFIXES):
        return "bundle"
    return None


def discover(paths: list[Path]) -> list[InputFile]:
    """Expand folders into their FHIR files; reject what cannot be FHIR input."""
    if not paths:
        raise InputError(_("No input given."), hint=_("Name FHIR files or folders to ingest."))
    found: list[InputFile] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p))
            if not inside:
                raise InputError(
                    _("{path}: empty input: no *.json or *.ndjson files in this folder.").format(
                        path=path
                    ),
                    hint=_("Point at a folder of FHIR Bundles or bulk-export NDJSON."),
                )
            found.extend(InputFile(p, _kind(p) or "") for p in inside)
        elif path.is_file():
            kind = _kind(path)
            if kind is None:
                raise InputError(
                    _(
                        "{path}: not a FHIR input file (expected *.json, *.ndjson or *.ndjson.gz)."
                    ).format(path=path),
                    hint=_("Rename the file or convert it to FHIR JSON."),
                )
            found.append(InputFile(path, kind))
        else:
            raise InputError(
                _("{path}: no such file or folder.").format(path=path),
                hint=_("Check the path."),
            )
    return found


def _open(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """(stream to read, raw file whose position measures progress)."""
    raw: IO[bytes] = path.open("rb")
    if path.name.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")), raw
    return raw, raw


def _lines_table(file_no: int, first_line: int, data: bytes) -> pa.Table:
    """One row per line of `data` (which ends with a newline), by reference."""
    bytes_view = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(bytes_view == 10) + 1
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    count = len(ends)
    docs = pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(data))
    return pa.table(
        {
            "file_no": pa.array(np.full(count, file_no, dtype=np.int32)),
            "line": pa.array(np.arange(first_line, first_line + count, dtype=np.int64)),
            "kind": pa.repeat(pa.scalar("ndjson"), count),
            "doc": docs,
        },
        schema=SCHEMA,
    )


def _check_utf8(table: pa.Table, name: str) -> None:
    try:
        table.column("doc").combine_chunks().validate(full=True)
    except pa.ArrowInvalid:
        lines = table.column("line").to_numpy()
        raise InputError(
            _("{file}: lines {first}-{last}: not valid UTF-8 text.").format(
                file=name, first=int(lines[0]), last=int(lines[-1])
            ),
            hint=_("FHIR JSON must be UTF-8; re-export or convert the file."),
        ) from None


def _bundle_table(file_no: int, data: bytes, name: str) -> pa.Table:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            _("{file}: not valid UTF-8 text.").format(file=name),
            hint=_("FHIR JSON must be UTF-8; re-export or convert the file."),
        ) from None
    return pa.table(
        {
            "file_no": [file_no],
            "line": [1],
            "kind": ["bundle"],
            "doc": pa.array([text], pa.large_string()),
        },
        schema=SCHEMA,
    )


def _ndjson_tables(
    stream: IO[bytes], file_no: int, first_line: int, block_bytes: int, name: str
) -> Iterator[tuple[pa.Table, int]]:
    """(lines table, its bytes) per block of NDJSON `stream`; `first_line` numbers its first
    line, so a piece of a larger file keeps the file's line numbers."""
    line = first_line
    carry = b""
    while True:
        block = stream.read(block_bytes)
        data = carry + block
        if not block:
            if data.strip():
                table = _lines_table(file_no, line, data + b"\n")
                _check_utf8(table, name)
                yield table, len(data)
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        piece, carry = data[: cut + 1], data[cut + 1 :]
        table = _lines_table(file_no, line, piece)
        _check_utf8(table, name)
        line += table.num_rows
        yield table, len(piece)


def stream_batches(
    stream: IO[bytes], file_no: int, first_line: int, batch_bytes: int, name: str
) -> Iterator[pa.Table]:
    """Batches of plain NDJSON `stream`, a piece of input `file_no` (named `name` in
    errors) whose first line is line `first_line` of that input."""
    for table, _size in _ndjson_tables(stream, file_no, first_line, batch_bytes, name):
        yield table


def read_batches(
    files: list[InputFile], batch_bytes: int, only: set[int] | None = None
) -> Iterator[tuple[pa.Table, int]]:
    """Yield (batch, input bytes read so far, on disk) until all files (or the numbers in
    `only`) are read; `file_no` is the file's index in `files` either way."""
    pending: list[pa.Table] = []
    pending_size = 0
    done = 0  # on-disk bytes of the files already finished
    for file_no, item in enumerate(files):
        if only is not None and file_no not in only:
            continue
        stream, raw = _open(item.path)
        with raw, stream:
            if item.kind == "bundle":
                data = stream.read()
                pending.append(_bundle_table(file_no, data, item.path.name))
                pending_size += len(data)
            else:
                for table, size in _ndjson_tables(stream, file_no, 1, batch_bytes, item.path.name):
                    pending.append(table)
                    pending_size += size
                    if pending_size >= batch_bytes:
                        yield pa.concat_tables(pending), done + raw.tell()
                        pending, pending_size = [], 0
            done += raw.tell()
        if pending_size >= batch_bytes:
            yield pa.concat_tables(pending), done
            pending, pending_size = [], 0
    if pending:
        yield pa.concat_tables(pending), done


def json_error_line(data: str) -> int:
    """Line of the first JSON syntax error in `data` (for error messages only)."""
    try:
        json.load(io.StringIO(data))
    except json.JSONDecodeError as exc:
        return exc.lineno
    return 1


def prefetched(batches: Iterator[tuple[pa.Table, int]]) -> Iterator[tuple[pa.Table, int]]:
    """Read the next batch in a thread while the caller processes this one (DuckDB releases
    the GIL), holding at most one batch in hand. Errors surface in the caller's thread."""
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in batches:
                while not stop.is_set():
                    try:
                        handoff.put(("batch", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(("end", None))
        except BaseException as exc:  # handed to the caller, which re-raises it
            handoff.put(("error", exc))

    worker = threading.Thread(target=produce, name="fhir-reader", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while worker.is_alive():
            try:
                handoff.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.1)
