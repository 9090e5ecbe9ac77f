"""Quoting for SQL text run by DuckDB: names and string literals.

Values are bound as prepared parameters wherever DuckDB allows it. These are for the places
it does not: a COPY target, a path inside a view or a list, a column name.
"""

from __future__ import annotations


def identifier(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
