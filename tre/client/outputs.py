"""Writing outputs with provenance inside the workspace.

    from tre import client
    client.table("SELECT region, count(DISTINCT person_id) AS n FROM synthea.patient GROUP BY 1",
                 "patients_by_region")
    client.crosstab("SELECT * FROM synthea.claim", index=["region"], columns="sex",
                    values="cost", aggfunc="mean", unit="person_id", name="cost_by_region_sex")

Each call writes `outputs/<name>.csv` and a sidecar `outputs/<name>.csv.tre.json` with the
SQL, the parameters, the extract's manifest (id and hash), the CSV's hash and, for a
cross-tabulation, the contributor statistics per cell (people, largest contributions). The
sidecar is for the output checkers and the airlock, which re-executes the SQL on the extract
to verify every figure; it is never released itself. Imports only duckdb, pyarrow, sqlglot,
numpy and the standard library, as the workspace image provides.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tre.client._text import text

# tre.sdc is imported inside the functions: `import tre.client` stays light.

OUTPUTS_ENV = "TRE_OUTPUTS_DIR"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")


class OutputError(ValueError):
    """An output cannot be written as asked (bad name, or SQL that is not a SELECT)."""


def outputs_dir() -> Path:
    """Where outputs go: TRE_OUTPUTS_DIR, else ~/outputs."""
    return Path(os.environ.get(OUTPUTS_ENV) or Path.home() / "outputs")


def _connection(con: duckdb.DuckDBPyConnection | None) -> duckdb.DuckDBPyConnection:
    if con is not None:
        return con
    from tre import client

    connect = getattr(client, "connect", None)
    if connect is None:  # pragma: no cover - connect() is part of the client
        raise OutputError(text("Pass con=, a DuckDB connection on the extract."))
    connection: duckdb.DuckDBPyConnection = connect()
    return connection


def _target(name: str, directory: str | Path | None) -> Path:
    stem = name[:-4] if name.endswith(".csv") else name
    if not _NAME.match(stem) or ".." in stem:
        raise OutputError(
            text(
                "Output names may contain letters, digits, '.', '_' and '-' only "
                "(no folders); choose another name."
            )
        )
    folder = Path(directory) if directory is not None else outputs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{stem}.csv"


def _check_sql(sql: str) -> str:
    from tre.sdc.sqlguard import ensure_read_only_select

    try:
        ensure_read_only_select(sql)
    except Exception as exc:
        raise OutputError(str(exc)) from None
    return sql


def extract_manifest(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Id and hash of the manifest.json beside the connection's catalog.duckdb, if any."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    if not rows or not rows[0][0]:
        return {}
    catalog = Path(rows[0][0])
    manifest = catalog.parent / "manifest.json"
    info: dict[str, Any] = {"catalog": str(catalog)}
    if manifest.is_file():
        from tre.sdc.tabulate import sha256

        data = manifest.read_bytes()
        info["manifest_sha256"] = sha256(data)
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = {}
        if isinstance(parsed, dict):
            for key in ("build_id", "id", "project", "snapshot_id", "lake_snapshot"):
                if key in parsed and isinstance(parsed[key], str | int):
                    info[key] = parsed[key]
    return info


def _write(
    target: Path,
    table: pa.Table,
    kind: str,
    sql: str,
    parameters: dict[str, Any],
    con: duckdb.DuckDBPyConnection,
    stats: pa.Table | None,
) -> Path:
    from tre.sdc.filetype import SIDECAR_SUFFIX
    from tre.sdc.tabulate import (
        SIDECAR_VERSION,
        csv_bytes,
        sha256,
        stats_to_json,
        write_atomically,
    )

    data = csv_bytes(table)
    sidecar = {
        "tre_sidecar": SIDECAR_VERSION,
        "kind": kind,
        "output": target.name,
        "output_sha256": sha256(data),
        "sql": sql,
        "parameters": parameters,
        "extract": extract_manifest(con),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "contributors": stats_to_json(stats) if stats is not None else None,
    }
    write_atomically(target, data)
    write_atomically(
        Path(f"{target}{SIDECAR_SUFFIX}"),
        json.dumps(sidecar, ensure_ascii=False, indent=1).encode("utf-8"),
    )
    return target


def table(
    sql: str,
    name: str,
    con: duckdb.DuckDBPyConnection | None = None,
    directory: str | Path | None = None,
) -> Path:
    """Run a SELECT on the extract and write its result as outputs/<name>.csv with provenance."""
    from tre.sdc.tabulate import result_table

    _check_sql(sql)
    connection = _connection(con)
    result = result_table(connection, sql)
    return _write(_target(name, directory), result, "table", sql, {}, connection, None)


def crosstab(
    source: str,
    index: str | Sequence[str],
    columns: str,
    values: str | None = None,
    aggfunc: str = "count",
    unit: str | None = None,
    name: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    directory: str | Path | None = None,
    nk_n: int = 2,
) -> Path:
    """Cross-tabulate `aggfunc` of `values` by `index` x `columns` over `source` (a table
    name or a SELECT), counting people when `unit` names the person column, and write
    outputs/<name>.csv with provenance including contributor statistics per cell."""
    from tre.sdc.tabulate import crosstab as compute_crosstab

    sql = source if not _IDENTIFIER.match(source.strip()) else f"SELECT * FROM {source.strip()}"
    _check_sql(sql)
    index_list = [index] if isinstance(index, str) else list(index)
    connection = _connection(con)
    wide, stats = compute_crosstab(
        connection, sql, index_list, columns, values, aggfunc, unit, nk_n
    )
    parameters = {
        "index": index_list,
        "columns": columns,
        "values": values,
        "aggfunc": aggfunc,
        "unit": unit,
        "nk_n": nk_n,
    }
    target = _target(name or f"crosstab_{'_'.join(index_list)}_{columns}", directory)
    return _write(target, wide, "crosstab", sql, parameters, connection, stats)


__all__ = ["OutputError", "crosstab", "extract_manifest", "outputs_dir", "table"]
