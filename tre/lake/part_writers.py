"""Per-table Parquet files of an ingest, written on a background thread.

Encoding and compressing Parquet is single-threaded work in Arrow that releases the GIL,
so it runs beside DuckDB's parsing of the next piece instead of after it. Writes keep their
order (one thread), and at most `max_pending` batches wait, so memory stays bounded by
the batch size whatever the input size. An error in a write is raised by the next call.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 128 * 1024
# Not a lake table: the direct-identifier strings an ingest removed, kept on disk (not in
# memory, where they would grow with the input) until the sweep reads them.
REMOVED_PART = "_removed"
# The same for the text sweep: names, addresses and numbers to find inside longer strings.
REMOVED_TEXT_PART = "_removed_text"
# The lake's tables are kept; the removed strings are read once by the sweep and deleted.
# Random identifiers neither compress nor share a dictionary, and the sweep reads no
# statistics: writing them plain costs a sixth of the CPU.
_KEPT = {"compression": "snappy"}
_SCRATCH = {"compression": "none", "use_dictionary": False, "write_statistics": False}


class PartWriters:
    """One ParquetWriter per output table (`<parts_dir>/<table>.parquet`), opened on the
    first rows. `tables` lists the tables that received rows once `close` has returned."""

    def __init__(self, parts_dir: Path, max_pending: int = 2) -> None:
        self.parts_dir = parts_dir
        self.max_pending = max_pending
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._pending: deque[Future[None]] = deque()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tre-parquet")

    @property
    def tables(self) -> set[str]:
        return set(self._writers)

    def path(self, table: str) -> Path:
        return self.parts_dir / f"{table}.parquet"

    def write(self, table: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        while len(self._pending) >= self.max_pending:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._write, table, rows))

    def _write(self, table: str, rows: pa.Table) -> None:
        writer = self._writers.get(table)
        if writer is None:
            options = _SCRATCH if table in (REMOVED_PART, REMOVED_TEXT_PART) else _KEPT
            writer = pq.ParquetWriter(self.path(table), rows.schema, **options)
            self._writers[table] = writer
        # Row groups of bounded size keep later scans (link, sweep) in bounded memory.
        writer.write_table(rows.cast(writer.schema), row_group_size=ROW_GROUP_ROWS)

    def close(self) -> None:
        """Finish every pending write and close the files; raises the first write error."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            for writer in self._writers.values():
                writer.close()
