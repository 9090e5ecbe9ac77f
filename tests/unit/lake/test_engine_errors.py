"""Query-engine failures become one-line errors that never quote a record value."""

from __future__ import annotations

import duckdb
import pytest

from tre.lake.publish import IngestFailed, engine_errors


def test_duckdb_error_message_is_not_passed_on() -> None:
    with pytest.raises(IngestFailed) as info, engine_errors():
        duckdb.sql("SELECT 'Secret-Value-123'::INTEGER").fetchall()
    assert "Secret-Value-123" not in str(info.value)
    assert "nothing was published" in str(info.value)
