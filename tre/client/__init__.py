"""What analysts import inside a workspace: the project's extract through DuckDB.

    from tre import client
    con = client.connect()              # read-only DuckDB connection on catalog.duckdb
    client.tables()                     # ['synthea.condition', 'synthea.patient', ...]
    client.describe("synthea.patient")  # columns, types and descriptions (in TRE_LOCALE)
    con.sql("SELECT region, count(*) FROM synthea.patient GROUP BY ALL").df()

The extract directory comes from `TRE_DATA_DIR` (default /home/jovyan/data, where the
workspace mounts it read-only). Its views name their Parquet files relative to that
directory, so the connection sets DuckDB's `file_search_path` to it.

This package runs inside the workspace image, which installs `tre` without server
dependencies: it and its submodules import only duckdb, pyarrow, sqlglot and the standard
library. It is a convenience; what the extract contains is the control.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tre.client._text import text

DATA_DIR_ENV = "TRE_DATA_DIR"
DEFAULT_DATA_DIR = "/home/jovyan/data"
CATALOG_FILE = "catalog.duckdb"
LOCALE_ENV = "TRE_LOCALE"
DESCRIPTIONS_TABLE = "main.tre_descriptions"  # translations, written by tre.extract.builder


class ExtractNotFound(Exception):
    """No extract at the expected place (the workspace has no data mounted)."""


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    description: str | None


@dataclass(frozen=True)
class TableInfo:
    name: str
    description: str | None
    columns: list[ColumnInfo]

    def __str__(self) -> str:
        lines = [f"{self.name}: {self.description or ''}".rstrip(": ")]
        lines += [f"  {c.name} {c.type}  {c.description or ''}".rstrip() for c in self.columns]
        return "\n".join(lines)


def data_dir() -> Path:
    """The extract directory: TRE_DATA_DIR or /home/jovyan/data."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def connect(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection on the extract's catalog.duckdb.

    `path` is the extract directory (or its catalog.duckdb); default `data_dir()`.
    """
    base = Path(path) if path is not None else data_dir()
    catalog = base if base.suffix == ".duckdb" else base / CATALOG_FILE
    if not catalog.is_file():
        raise ExtractNotFound(
            text(
                "No project extract at {folder}: this workspace has no data mounted, or "
                "{variable} points elsewhere. Ask an administrator to provision the project."
            ).format(folder=catalog.parent, variable=DATA_DIR_ENV)
        )
    directory = str(catalog.parent.resolve())
    return duckdb.connect(str(catalog), read_only=True, config={"file_search_path": directory})


def _with(con: duckdb.DuckDBPyConnection | None) -> tuple[duckdb.DuckDBPyConnection, bool]:
    return (con, False) if con is not None else (connect(), True)


def tables(con: duckdb.DuckDBPyConnection | None = None) -> list[str]:
    """The extract's tables as `source.table` names, sorted."""
    conn, owned = _with(con)
    try:
        rows = conn.execute(
            "SELECT schema_name || '.' || view_name FROM duckdb_views() "
            "WHERE NOT internal AND database_name = current_database() "
            "AND schema_name <> 'main' ORDER BY 1"  # main holds unqualified aliases
        ).fetchall()
    finally:
        if owned:
            conn.close()
    return [r[0] for r in rows]


def describe(
    table: str, con: duckdb.DuckDBPyConnection | None = None, lang: str | None = None
) -> TableInfo:
    """Columns, types and catalogue descriptions of one table (`source.table`).

    Descriptions are in `lang` (default: the workspace's `TRE_LOCALE`) where the extract
    holds a translation, else in English.
    """
    schema, _, name = table.rpartition(".")
    language = (lang or os.environ.get(LOCALE_ENV) or "en").split("_")[0].lower()
    conn, owned = _with(con)
    try:
        view = conn.execute(
            "SELECT schema_name, view_name, comment FROM duckdb_views() "
            "WHERE NOT internal AND database_name = current_database() "
            "AND schema_name <> 'main' "
            "AND view_name = $name AND ($schema = '' OR schema_name = $schema)",
            {"name": name, "schema": schema},
        ).fetchall()
        if len(view) != 1:
            raise KeyError(
                text("No table {table} in the extract; see client.tables().").format(table=table)
            )
        schema, name, comment = view[0]
        columns = conn.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = $schema "
            "AND table_name = $name ORDER BY column_index",
            {"name": name, "schema": schema},
        ).fetchall()
        translated = _translations(conn, language, schema, name)
    finally:
        if owned:
            conn.close()
    return TableInfo(
        name=f"{schema}.{name}",
        description=translated.get(None, comment),
        columns=[ColumnInfo(c[0], c[1], translated.get(c[0], c[2])) for c in columns],
    )


def _translations(
    con: duckdb.DuckDBPyConnection, lang: str, schema: str, name: str
) -> dict[str | None, str]:
    """column name (None: the table) -> description in `lang`, from the extract."""
    if lang == "en":
        return {}
    try:
        rows = con.execute(
            f"SELECT column_name, description FROM {DESCRIPTIONS_TABLE} "
            "WHERE lang = $lang AND schema_name = $schema AND table_name = $name",
            {"lang": lang, "schema": schema, "name": name},
        ).fetchall()
    except duckdb.CatalogException:  # an extract built before translations were written
        return {}
    return {column: description for column, description in rows}


# Outputs with provenance and the in-workspace pre-check (they obtain connect() lazily).
from tre.client.check import check  # noqa: E402
from tre.client.outputs import crosstab, table  # noqa: E402

__all__ = [
    "ColumnInfo",
    "TableInfo",
    "check",
    "connect",
    "crosstab",
    "data_dir",
    "describe",
    "table",
    "tables",
]
