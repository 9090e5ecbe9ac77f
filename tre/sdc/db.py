"""DuckDB connections for the checks.

Opening a DuckDB database costs tens of milliseconds; a cursor on one shared in-memory
database costs far less and is its own connection (registered tables and temporary views are
private to it), so checks running in parallel threads do not see each other's data.
"""

from __future__ import annotations

import threading

import duckdb

_lock = threading.Lock()
_base: duckdb.DuckDBPyConnection | None = None


def connection() -> duckdb.DuckDBPyConnection:
    """A fresh connection (cursor) on the shared in-memory database; close it when done."""
    global _base
    with _lock:
        if _base is None:
            _base = duckdb.connect(":memory:")
        return _base.cursor()
