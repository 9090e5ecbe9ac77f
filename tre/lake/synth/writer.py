"""Write synthetic FHIR bulk-export NDJSON chunk by chunk, aside, then rename into place.

Memory is bounded by two chunks (1,000 patients each by default) whatever the number of
patients: one being rendered while the previous one is written.
Files are written under `OUT/.demo-data.partial/` and moved into `OUT` only when complete,
so an interrupted run leaves the previous output (or nothing) and can simply be rerun.
"""

from __future__ import annotations

import gzip
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from tre.errors import UserError
from tre.i18n import _
from tre.lake.synth import jp_clins
from tre.lake.synth.fmt import lines_bytes
from tre.lake.synth.generate import RESOURCE_TYPES, render_chunk

CHUNK_SIZE = 1_000  # measured: faster than bigger chunks (cache) and ~300 MB peak RSS
STAGING_NAME = ".demo-data.partial"
# bulk: one NDJSON file per resource type (FHIR Bulk Data); jp-clins: JP-CLINS document
# Bundles, one per line of Bundle.ndjson.
FORMATS = ("bulk", "jp-clins")


def file_types(data_format: str) -> tuple[str, ...]:
    """The resource types that name the files of `data_format`."""
    return RESOURCE_TYPES if data_format == "bulk" else (jp_clins.RESOURCE_TYPE,)


def _render(
    data_format: str, seed: int, index: int, first: int, n: int
) -> tuple[dict[str, list[pa.Array]], int]:
    """One chunk's lines per file type, and the resources they hold (Bundle entries count)."""
    if data_format == "bulk":
        chunk = render_chunk(seed, index, first, n)
        return chunk, sum(len(lines) for arrays in chunk.values() for lines in arrays)
    lines, resources = jp_clins.render_documents(seed, index, first, n)
    return {jp_clins.RESOURCE_TYPE: lines}, resources


@dataclass
class DemoSummary:
    """What a run wrote: resource counts and file sizes by resource type."""

    out: Path
    patients: int
    seed: int
    compressed: bool
    data_format: str = "bulk"
    resources: dict[str, int] = field(default_factory=dict)  # lines (resources, Bundles)
    entries: int = 0  # resources inside the Bundles, for jp-clins
    files: dict[str, int] = field(default_factory=dict)  # file name -> bytes
    seconds: float = 0.0

    @property
    def total_resources(self) -> int:
        """Resources written, those inside Bundles included."""
        return self.entries or sum(self.resources.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "out": str(self.out),
            "patients": self.patients,
            "seed": self.seed,
            "compressed": self.compressed,
            "format": self.data_format,
            "resources": self.resources,
            "total_resources": self.total_resources,
            "files": self.files,
            "seconds": round(self.seconds, 3),
        }


def file_name(resource_type: str, compressed: bool) -> str:
    return f"{resource_type}.ndjson" + (".gz" if compressed else "")


def _validate(patients: int, seed: int, chunk_size: int, data_format: str) -> None:
    if data_format not in FORMATS:
        raise UserError(
            _("--format must be one of {formats}.").format(formats=", ".join(FORMATS)),
            _("Use bulk (the default) or jp-clins."),
        )
    if patients < 1:
        raise UserError(_("--patients must be at least 1."), _("Give a positive number."))
    if seed < 0:
        raise UserError(_("--seed must not be negative."), _("Give 0 or a positive number."))
    if chunk_size < 1:
        raise UserError(_("The chunk size must be at least 1."))


def _prepare(out: Path) -> Path:
    """Create OUT and a fresh staging directory in it, or explain why that is impossible."""
    if out.exists() and not out.is_dir():
        raise UserError(
            _("The output path exists and is not a directory."),
            _("Choose a directory with --out."),
        )
    staging = out / STAGING_NAME
    try:
        out.mkdir(parents=True, exist_ok=True)
        if staging.exists():
            shutil.rmtree(staging)  # left by an interrupted run
        staging.mkdir()
        probe = staging / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(
            _("Cannot write to the output directory") + f" ({exc.strerror or type(exc).__name__}).",
            _("Choose a directory you can write to with --out."),
        ) from None
    return staging


def _open(path: Path, compressed: bool, stack: ExitStack) -> BinaryIO:
    raw = stack.enter_context(path.open("wb"))
    if not compressed:
        return raw
    # No file name and a fixed mtime in the header keep compressed output deterministic.
    gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=1)
    return stack.enter_context(gz)  # type: ignore[return-value]


def write_demo_data(
    out: Path,
    patients: int,
    seed: int = 1,
    *,
    compressed: bool = False,
    chunk_size: int = CHUNK_SIZE,
    on_chunk: Callable[[int], None] | None = None,
    data_format: str = "bulk",
) -> DemoSummary:
    """Write `patients` synthetic patients as FHIR R4 bulk NDJSON files into `out`.

    Same (patients, seed, chunk_size) gives byte-identical files. Existing files of the same
    resource types in `out` (plain or gzipped) are replaced; other files are left alone.
    `on_chunk(n)` is called after each chunk with the number of patients it held.
    """
    _validate(patients, seed, chunk_size, data_format)
    out = Path(out)
    staging = _prepare(out)
    started = time.perf_counter()
    summary = DemoSummary(
        out=out, patients=patients, seed=seed, compressed=compressed, data_format=data_format
    )
    types = file_types(data_format)
    summary.resources = dict.fromkeys(types, 0)
    try:
        with ExitStack() as stack:
            handles = {
                rt: _open(staging / file_name(rt, compressed), compressed, stack) for rt in types
            }
            # One writer thread: compressing and writing chunk i (zlib and file I/O release
            # the GIL) overlaps rendering chunk i + 1; at most two chunks are held at once.
            writer = stack.enter_context(ThreadPoolExecutor(max_workers=1))
            pending: Future[None] | None = None
            for index, first in enumerate(range(0, patients, chunk_size)):
                n = min(chunk_size, patients - first)
                chunk, resources = _render(data_format, seed, index, first, n)
                for rt, arrays in chunk.items():
                    summary.resources[rt] += sum(len(lines) for lines in arrays)
                if data_format != "bulk":
                    summary.entries += resources
                if pending is not None:
                    pending.result()  # re-raises a write error here
                pending = writer.submit(_write_chunk, handles, chunk)
                if on_chunk is not None:
                    on_chunk(n)
            if pending is not None:
                pending.result()
        _publish(out, staging, compressed, summary, types)
    except OSError as exc:
        raise UserError(
            _("Writing the demo data failed") + f" ({exc.strerror or type(exc).__name__}).",
            _("Check free disk space and rerun; nothing half-written was left in place."),
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary.seconds = time.perf_counter() - started
    return summary


def _write_chunk(handles: dict[str, BinaryIO], chunk: dict[str, list[pa.Array]]) -> None:
    for rt, arrays in chunk.items():
        for lines in arrays:
            handles[rt].write(lines_bytes(lines))


def _publish(
    out: Path, staging: Path, compressed: bool, summary: DemoSummary, types: tuple[str, ...]
) -> None:
    for rt in types:
        for stale in (file_name(rt, not compressed),):
            (out / stale).unlink(missing_ok=True)  # would double the data for an ingest
        name = file_name(rt, compressed)
        os.replace(staging / name, out / name)
        summary.files[name] = (out / name).stat().st_size
