"""`check_file`: every automated disclosure check for one output file.

Pure: reads the file (and, when given, microdata through DuckDB) and returns findings; never
reads policy or the database. Hostile input is expected: type is decided by content, sizes are
checked before reading, and nothing a file contains ever appears in a message.
"""

from __future__ import annotations

import os
import re
import stat as stat_module
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from tre.sdc import filetype
from tre.sdc._i18n import _
from tre.sdc.contributors import contributor_findings, microdata_statistics
from tre.sdc.differencing import against_releases, within_table
from tre.sdc.findings import FileReport, Finding
from tre.sdc.params import SdcParams
from tre.sdc.roles import assign_roles
from tre.sdc.rowlevel import row_level_rules
from tre.sdc.tables import (
    formula_rules,
    frequency_rules,
    is_regression_table,
    magnitude_rules,
    regression_rules,
)
from tre.sdc.text import (
    DecodeProblem,
    TableData,
    decode,
    read_delimited,
    sniff_delimiter,
)
from tre.sdc.textkind import parse_text

HEAD_BYTES = 65536
TEXT_EXTENSIONS = {
    "csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "txt": "txt",
    "md": "md",
    "json": "json",
}
_EXTENSION_KIND = {**TEXT_EXTENSIONS, "png": "png", "jpg": "jpeg", "jpeg": "jpeg", "ipynb": "ipynb"}


@dataclass
class CheckContext:
    """What the checker knows beyond the file itself (all optional).

    - `filename`: the name the analyst gave the file (store paths have no extension).
    - `person_ids`: the extract's person identifiers (set, Arrow array, or a one-column DuckDB
      relation); `n_persons`: how many persons the extract holds.
    - `earlier_releases`: tables (paths or TableData) the project has released before.
    - `microdata` (path to Parquet/CSV, Arrow table or DuckDB relation) with `by`, `value`,
      `unit`, `stat`: recompute contributors per cell for threshold and dominance.
    - `cell_stats`: contributor statistics already computed (e.g. from a verified sidecar),
      in the layout of `tre.sdc.microdata.cell_statistics`, keyed by `by`.
    """

    filename: str | None = None
    person_ids: Any = None
    n_persons: int | None = None
    earlier_releases: Sequence[str | Path | TableData] = ()
    microdata: Any = None
    by: Sequence[str] = ()
    value: str | None = None
    unit: str | None = None
    stat: str | None = None
    cell_stats: pa.Table | None = None


def check_file(
    path: str | Path, params: SdcParams, context: CheckContext | None = None
) -> FileReport:
    """Run every check on one file and return its report (never raises for bad content)."""
    context = context or CheckContext()
    path = Path(path)
    name = context.filename or path.name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        info = os.lstat(path)
    except OSError:
        report = FileReport(str(path), "missing", 0)
        report.add(Finding("unreadable", "block", _("The file cannot be read.")))
        return report
    report = FileReport(str(path), "unknown", info.st_size)
    if stat_module.S_ISLNK(info.st_mode) or not stat_module.S_ISREG(info.st_mode):
        report.detected_type = "special"
        report.add(
            Finding(
                "not-a-file",
                "block",
                _("Only regular files can be released, not links, folders or devices."),
            )
        )
        return report
    if info.st_size == 0:
        report.detected_type = "empty"
        report.add(Finding("empty", "review", _("The file is empty.")))
        return report
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
        too_big = info.st_size > params.max_file_bytes
        if too_big:
            report.add(
                Finding(
                    "size",
                    "block",
                    _("The file is larger than the limit of {mib} MiB for one output.").format(
                        mib=round(params.max_file_bytes / 2**20, 1)
                    ),
                )
            )
        binary = filetype.sniff_binary(head)
        if binary is not None:
            report.detected_type = binary
            _binary_findings(report, binary, extension, params)
            return report
        if too_big:
            report.detected_type = "text"
            return report
        data = head + fh.read()
    _text_findings(report, data, extension, params, context)
    return report


def _binary_findings(report: FileReport, kind: str, extension: str, params: SdcParams) -> None:
    claimed = _EXTENSION_KIND.get(extension)
    if claimed is not None and claimed != kind:
        report.add(
            Finding(
                "disguised-type",
                "block",
                _("The file is named as {claimed} but its content is {kind}.").format(
                    claimed=claimed, kind=kind
                ),
            )
        )
    _require_allowed(report, kind, params)
    if kind in params.allowed_types and kind in filetype.IMAGE_KINDS:
        report.add(
            Finding(
                "manual-review",
                "review",
                _(
                    "Images cannot be checked automatically: a reviewer must confirm that no "
                    "small numbers or individual points are visible."
                ),
            )
        )


def _text_findings(
    report: FileReport, data: bytes, extension: str, params: SdcParams, context: CheckContext
) -> None:
    try:
        decoded = decode(data)
    except DecodeProblem:
        report.detected_type = "text"
        report.add(
            Finding(
                "encoding",
                "block",
                _(
                    "The file is not valid UTF-8 text (nor another readable encoding), so it "
                    "cannot be checked; save it as UTF-8."
                ),
            )
        )
        return
    if decoded.had_bom:
        report.add(
            Finding(
                "encoding",
                "info",
                _("The file starts with a byte-order mark; it was read as {enc}.").format(
                    enc=decoded.encoding
                ),
            )
        )
    elif decoded.encoding != "utf-8":
        report.add(
            Finding(
                "encoding",
                "review",
                _("The file is not UTF-8; it was read as Shift_JIS. Save it as UTF-8."),
            )
        )
    text = decoded.text
    markup = filetype.markup_kind(text)
    if markup is not None:
        report.detected_type = markup
        if filetype.has_active_content(text):
            report.add(
                Finding(
                    "active-content",
                    "block",
                    _("The file contains script or embedded active content."),
                )
            )
        _require_allowed(report, markup, params)
        return
    kind, table, problems = parse_text(text, extension)
    report.findings += problems
    report.detected_type = kind
    claimed = TEXT_EXTENSIONS.get(extension)
    if (
        claimed is not None
        and claimed != kind
        and not (claimed == "txt" and kind in ("csv", "tsv", "md"))
    ):
        report.add(
            Finding(
                "extension-mismatch",
                "review",
                _("The file is named as {claimed} but its content is {kind}.").format(
                    claimed=claimed, kind=kind
                ),
            )
        )
    elif claimed is None and extension in _EXTENSION_KIND:
        report.add(
            Finding(
                "disguised-type",
                "block",
                _("The file is named as {claimed} but its content is {kind}.").format(
                    claimed=_EXTENSION_KIND[extension], kind=kind
                ),
            )
        )
    _require_allowed(report, kind, params)
    if table is not None:
        for finding in check_table(table, params, context):
            report.add(finding)
    else:
        report.findings += row_level_text(text, context)
        report.add(
            Finding(
                "manual-review",
                "review",
                _(
                    "Free text, notebooks and documents cannot be checked automatically: a "
                    "reviewer must read them."
                ),
            )
        )


def _require_allowed(report: FileReport, kind: str, params: SdcParams) -> None:
    if kind not in params.allowed_types:
        report.add(
            Finding(
                "type-not-allowed",
                "block",
                _("Files of type {kind} cannot be released.").format(kind=kind),
            )
        )


def row_level_text(text: str, context: CheckContext) -> list[Finding]:
    """Person identifiers appearing anywhere in free text."""
    if context.person_ids is None:
        return []
    tokens = pa.array(sorted(set(re.findall(r"[0-9A-Za-z_-]{8,}", text))), pa.string())
    table = TableData(names=["text"], raw=pa.table({"text": tokens}))
    found = [
        f
        for f in row_level_rules(table, assign_roles(table), SdcParams(), context.person_ids)
        if f.rule == "person-identifier"
    ]
    for finding in found:
        finding.cells = []
    return found


def check_table(
    table: TableData, params: SdcParams, context: CheckContext | None = None
) -> list[Finding]:
    """The table rules, row-level rules and differencing for one parsed table."""
    context = context or CheckContext()
    roles = assign_roles(table, context.stat)
    findings = formula_rules(table)
    findings += row_level_rules(table, roles, params, context.person_ids, context.n_persons)
    stats = context.cell_stats
    if stats is None and context.microdata is not None and context.by:
        stats = microdata_statistics(
            context.microdata,
            context.by,
            context.value,
            context.unit,
            context.stat or "count",
            params.nk_n,
        )
    if not is_regression_table(table):  # coefficients and t values are not counts
        findings += frequency_rules(table, roles, params)
        findings += magnitude_rules(table, roles, has_contributors=stats is not None)
    if stats is not None:
        findings += contributor_findings(
            table, roles, stats, list(context.by), params, context.stat or "count"
        )
    findings += regression_rules(table, params)
    findings += within_table(table, roles, params)
    earlier = [_load_table(e) for e in context.earlier_releases]
    findings += against_releases(
        table, roles, params, [e for e in earlier if e is not None], context.stat
    )
    return findings


def _load_table(item: str | Path | TableData) -> TableData | None:
    if isinstance(item, TableData):
        return item
    try:
        decoded = decode(Path(item).read_bytes())
    except (OSError, DecodeProblem):
        return None
    delimiter = sniff_delimiter(decoded.text)
    return read_delimited(decoded.text, delimiter) if delimiter else None


__all__ = ["CheckContext", "check_file", "check_table"]
