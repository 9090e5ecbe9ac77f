"""Verification of an output by re-executing its sidecar's SQL against the project's extract.

Runs outside the workspace (in the airlock), on a fresh DuckDB connection that attaches the
extract's `catalog.duckdb` read-only, may read files only inside the extract's directory,
cannot change its configuration, and is interrupted after `limits.seconds` and bounded by
`limits.memory`. Every figure of the CSV is compared with the re-computed one; for a
cross-tabulation the contributor statistics (and hence dominance) are computed here, never
taken from the sidecar.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tre.errors import InputError
from tre.sdc._i18n import _
from tre.sdc.check import CheckContext
from tre.sdc.columns import public_table
from tre.sdc.findings import Finding
from tre.sdc.identifiers import as_id_array
from tre.sdc.recognise import record_headers
from tre.sdc.sqlguard import ensure_read_only_select
from tre.sdc.tabulate import crosstab, result_table, sha256
from tre.sdc.text import DecodeProblem, TableData, decode, read_delimited, sniff_delimiter
from tre.sql import literal

Status = Literal["verified", "differs", "unverified"]


@dataclass(frozen=True)
class VerifyLimits:
    seconds: float = 60.0
    memory: str = "2GB"
    threads: int = 2


@dataclass
class Verification:
    """`status` verified / differs / unverified; `cells` the CSV cells that differ;
    `cell_stats` the contributor statistics computed here (cross-tabulations only)."""

    status: Status
    findings: list[Finding] = field(default_factory=list)
    cells: list[tuple[int, str]] = field(default_factory=list)
    cell_stats: pa.Table | None = None
    by: list[str] = field(default_factory=list)
    stat: str | None = None

    def context(self, base: CheckContext | None = None) -> CheckContext:
        """`base` (or an empty context) with the contributor statistics computed here, so that
        `check_file` applies threshold and dominance to the verified figures."""
        context = replace(base) if base is not None else CheckContext()
        if self.cell_stats is not None and self.by:
            context = replace(context, cell_stats=self.cell_stats, by=self.by, stat=self.stat)
        return context


def verify(
    csv_path: str | Path,
    sidecar: str | Path | dict[str, Any] | None,
    extract_catalog_path: str | Path,
    limits: VerifyLimits | None = None,
    person_ids: object = None,
) -> Verification:
    """Re-execute the sidecar's query on the extract and compare every figure of the CSV
    (`person_ids`: the extract's, so that differing cells name columns as the checks do)."""
    limits = limits or VerifyLimits()
    document = _load_sidecar(sidecar)
    if document is None:
        return Verification(
            "unverified",
            [
                Finding(
                    "provenance",
                    "info",
                    _("No provenance record: the file was checked on its own."),
                )
            ],
        )
    try:
        spec = _spec(document)
        ensure_read_only_select(spec["sql"])
        published = _read_csv(Path(csv_path))
        published = public_table(published, record_headers(published, as_id_array(person_ids)))
    except InputError as exc:
        return Verification("unverified", [Finding("provenance", "block", str(exc))])
    findings: list[Finding] = []
    data = Path(csv_path).read_bytes()
    if isinstance(document.get("output_sha256"), str) and document["output_sha256"] != sha256(data):
        findings.append(Finding("provenance", "info", _("The file changed after it was computed.")))
    try:
        with _sandbox(Path(extract_catalog_path), limits) as con:
            if spec["kind"] == "crosstab":
                expected, stats = crosstab(
                    con,
                    spec["sql"],
                    spec["index"],
                    spec["columns"],
                    spec["values"],
                    spec["aggfunc"],
                    spec["unit"],
                    spec["nk_n"],
                )
            else:
                expected, stats = result_table(con, spec["sql"]), None
    except duckdb.InterruptException:
        return Verification(
            "unverified",
            [
                *findings,
                Finding(
                    "provenance",
                    "review",
                    _("Re-computing the output took longer than the limit of {s} seconds.").format(
                        s=limits.seconds
                    ),
                ),
            ],
        )
    except duckdb.Error:
        return Verification(
            "unverified",
            [
                *findings,
                Finding(
                    "provenance",
                    "review",
                    _(
                        "The provenance query could not be re-executed on the extract (or "
                        "exceeded the memory limit)."
                    ),
                ),
            ],
        )
    ordered = spec["kind"] == "crosstab" or " order by " in " ".join(spec["sql"].lower().split())
    cells = compare(published, expected, ordered)
    by = [*spec.get("index", []), spec["columns"]] if spec["kind"] == "crosstab" else []
    if cells:
        findings.append(
            Finding(
                "provenance",
                "block",
                _(
                    "{n} figures differ from the result of re-executing the recorded query "
                    "on the extract."
                ).format(n=len(cells)),
                cells=cells,
            )
        )
        return Verification("differs", findings, cells, stats, by, spec.get("aggfunc"))
    return Verification("verified", findings, [], stats, by, spec.get("aggfunc"))


def _load_sidecar(sidecar: str | Path | dict[str, Any] | None) -> dict[str, Any] | None:
    if sidecar is None or isinstance(sidecar, dict):
        return sidecar
    path = Path(sidecar)
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_bytes()[: 64 * 1024 * 1024])
    except ValueError:
        return {"kind": "invalid"}
    return document if isinstance(document, dict) else {"kind": "invalid"}


def _spec(document: dict[str, Any]) -> dict[str, Any]:
    """The sidecar's query and parameters, type-checked (it is hostile input)."""
    bad = InputError(
        _("The provenance record is malformed."), hint=_("Recreate the output with tre.client.")
    )
    kind, sql, params = document.get("kind"), document.get("sql"), document.get("parameters") or {}
    if (
        kind not in ("table", "crosstab")
        or not isinstance(sql, str)
        or not isinstance(params, dict)
    ):
        raise bad
    spec: dict[str, Any] = {"kind": kind, "sql": sql}
    if kind == "crosstab":
        index, columns = params.get("index"), params.get("columns")
        values, aggfunc, unit = (
            params.get("values"),
            params.get("aggfunc", "count"),
            params.get("unit"),
        )
        if not (
            isinstance(index, list)
            and all(isinstance(i, str) for i in index)
            and isinstance(columns, str)
        ):
            raise bad
        if aggfunc not in ("count", "sum", "mean", "median", "max", "min"):
            raise bad
        if not all(v is None or isinstance(v, str) for v in (values, unit)):
            raise bad
        nk_n = params.get("nk_n", 2)
        spec.update(
            index=index,
            columns=columns,
            values=values,
            aggfunc=aggfunc,
            unit=unit,
            nk_n=int(nk_n) if isinstance(nk_n, int) else 2,
        )
    return spec


def _read_csv(path: Path) -> TableData:
    try:
        text = decode(path.read_bytes()).text
    except (OSError, DecodeProblem) as exc:
        raise InputError(_("The output cannot be read as text.")) from exc
    delimiter = sniff_delimiter(text) or ","
    try:
        return read_delimited(text, delimiter)
    except (pa.ArrowInvalid, ValueError) as exc:
        raise InputError(_("The output cannot be parsed as a table.")) from exc


class _sandbox:
    """A locked-down connection on the extract, interrupted by a timer."""

    def __init__(self, catalog: Path, limits: VerifyLimits) -> None:
        self.catalog, self.limits = catalog.resolve(), limits
        self.con: duckdb.DuckDBPyConnection | None = None
        self.timer: threading.Timer | None = None

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        directory = str(self.catalog.parent)
        con = duckdb.connect(
            ":memory:",
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
        )
        self.con = con
        con.execute(f"SET memory_limit = '{_memory(self.limits.memory)}'")
        con.execute(f"SET threads = {int(self.limits.threads)}")
        con.execute(f"SET file_search_path = {literal(directory)}")
        con.execute(f"ATTACH {literal(str(self.catalog))} AS extract (READ_ONLY)")
        con.execute("USE extract")
        # Views may name their Parquet files relative to the extract (file_search_path):
        # allow the extract's directory and its sub-directories, by absolute and relative path.
        subdirs = [p.name + "/" for p in self.catalog.parent.iterdir() if p.is_dir()]
        allowed = ", ".join(literal(a) for a in [directory + "/", *subdirs])
        con.execute(f"SET allowed_directories = [{allowed}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        self.timer = threading.Timer(self.limits.seconds, con.interrupt)
        self.timer.daemon = True
        self.timer.start()
        return con

    def __exit__(self, *exc: object) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.con is not None:
            self.con.close()


def _memory(value: str) -> str:
    cleaned = value.strip().upper().replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB|KIB|MIB|GIB|TIB)", cleaned):
        raise InputError(_("The memory limit must look like 2GB or 512MB."))
    return cleaned


def compare(published: TableData, expected: pa.Table, ordered: bool) -> list[tuple[int, str]]:
    """CSV cells whose value differs from the re-computed table (numbers with a relative
    tolerance of 1e-9, text exactly); extra or missing rows and columns differ entirely."""
    names = published.names
    if published.headers != [str(n) for n in expected.column_names]:
        return [(0, n) for n in names] or [(0, "")]
    rows = min(published.num_rows, expected.num_rows)
    csv_order = np.arange(published.num_rows)
    res_order = np.arange(expected.num_rows)
    expected_text = [pc.fill_null(pc.cast(c, pa.string()), "") for c in expected.columns]
    if not ordered:
        csv_order = _sort_order(published.raw)
        res_order = _sort_order(pa.table(expected_text, names=names))
    differing: list[tuple[int, str]] = []
    for j, name in enumerate(names):
        mine = published.raw.column(name).combine_chunks().take(pa.array(csv_order[:rows]))
        theirs = expected_text[j].take(pa.array(res_order[:rows]))
        differs = _differs(mine, theirs, expected.column(j))
        differing += [(int(csv_order[i]), name) for i in np.flatnonzero(differs)]
    extra = [(int(r), n) for r in csv_order[rows:] for n in names]
    if expected.num_rows > published.num_rows:
        extra.append((published.num_rows, names[0]))
    return sorted(set(differing + extra))


def _sort_order(table: pa.Table) -> np.ndarray:
    keys = [(n, "ascending") for n in table.column_names]
    return np.asarray(pc.sort_indices(table, sort_keys=keys).to_numpy())


def _differs(mine: pa.Array, theirs: pa.Array, original: pa.ChunkedArray) -> np.ndarray:
    mine = pc.utf8_trim_whitespace(mine)
    if (
        pa.types.is_integer(original.type)
        or pa.types.is_floating(original.type)
        or pa.types.is_decimal(original.type)
    ):
        a = _to_float(mine)
        b = _to_float(theirs)
        both_nan = np.isnan(a) & np.isnan(b)
        with np.errstate(invalid="ignore"):
            close = np.isclose(a, b, rtol=1e-9, atol=1e-12)
        return ~(close | both_nan)
    return ~np.asarray(
        pc.equal(mine, pc.utf8_trim_whitespace(theirs)).to_numpy(zero_copy_only=False), dtype=bool
    )


def _to_float(values: pa.Array) -> np.ndarray:
    cleaned = pc.if_else(
        pc.match_substring_regex(
            values, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$"
        ),
        values,
        None,
    )
    return np.asarray(pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


__all__ = ["Verification", "VerifyLimits", "compare", "verify"]
