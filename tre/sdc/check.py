"""`check_file`: every automated disclosure check for one output file.

Pure: reads the file (and, when given, microdata through DuckDB) and returns findings; never
reads policy or the database. Hostile input is expected: type is decided by content, sizes are
checked before reading, and nothing a file contains ever appears in a message.
"""

from __future__ import annotations

import os
import stat as stat_module
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from tre.sdc import filetype
from tre.sdc._i18n import _
from tre.sdc.columns import public_table
from tre.sdc.contributors import contributor_findings, microdata_statistics
from tre.sdc.derived import class_disclosure, derived_counts, hidden_means, rounding
from tre.sdc.differencing import across_companions, against_releases, within_table
from tre.sdc.findings import FileReport, Finding
from tre.sdc.identifiers import as_id_array, strong_tokens
from tre.sdc.images import image_findings, text_tokens
from tre.sdc.ndb import FACILITY, ndb_rules
from tre.sdc.params import SdcParams
from tre.sdc.recognise import record_headers
from tre.sdc.reports import TextFacts, tables_in_json, tables_in_text, text_facts
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
# Rules whose block means the rows are individuals: the rules for aggregates then do not apply.
ROW_LEVEL = frozenset(
    {
        "person-identifier",
        "pseudonym-like",
        "transposed-persons",
        "unique-combination",
        "person-list",
        "rows-are-persons",
        "per-person-model-values",
    }
)


@dataclass
class CheckContext:
    """What the checker knows beyond the file itself (all optional).

    - `filename`: the name the analyst gave the file (store paths have no extension).
    - `person_ids`: the extract's person identifiers (set, Arrow array, or a one-column DuckDB
      relation); `n_persons`: how many persons the extract holds.
    - `earlier_releases`: tables (paths or TableData) the project has released before.
    - `companions`: the other tables of the same request (paths or TableData): a total in
      one file can recover a cell hidden or left out in another.
    - `microdata` (path to Parquet/CSV, Arrow table or DuckDB relation) with `by`, `value`,
      `unit`, `stat`: recompute contributors per cell for threshold and dominance.
    - `cell_stats`: contributor statistics already computed (e.g. from a verified sidecar),
      in the layout of `tre.sdc.microdata.cell_statistics`, keyed by `by`.
    """

    filename: str | None = None
    person_ids: Any = None
    n_persons: int | None = None
    earlier_releases: Sequence[str | Path | TableData] = ()
    companions: Sequence[str | Path | TableData] = ()
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
    claimed = filetype.claimed_kind(name)
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
            data = head if too_big or binary not in filetype.IMAGE_KINDS else head + fh.read()
            _binary_findings(report, binary, claimed, params, data)
            return report
        if too_big:
            report.detected_type = "text"
            return report
        data = head + fh.read()
    try:
        _text_findings(report, data, claimed, params, context)
    except (
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        ArithmeticError,
        MemoryError,
        RecursionError,
        pa.ArrowException,
    ) as exc:
        # A check that fails is not a pass: a person looks at the file.
        report.add(
            Finding(
                "unchecked",
                "review",
                _(
                    "The file could not be checked completely ({why}); a reviewer must read it."
                ).format(why=type(exc).__name__),
            )
        )
    return report


def _binary_findings(
    report: FileReport, kind: str, claimed: str | None, params: SdcParams, data: bytes
) -> None:
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
    if kind in filetype.IMAGE_KINDS:
        try:
            report.findings += image_findings(kind, data)
        except (ValueError, IndexError, struct.error, zlib.error, MemoryError):
            report.add(
                Finding(
                    "image-structure",
                    "review",
                    _("The image is {problem}: it cannot be read in full.").format(
                        problem="malformed"
                    ),
                )
            )
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
    report: FileReport,
    data: bytes,
    claimed: str | None,
    params: SdcParams,
    context: CheckContext,
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
    kind, table, problems, document = parse_text(text, claimed or "")
    report.findings += problems
    report.detected_type = kind
    if (
        claimed in filetype.TEXT_KINDS
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
    elif claimed is not None and claimed not in filetype.TEXT_KINDS:
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
    if kind == "md" and filetype.has_active_content(text):  # Markdown renders raw HTML
        report.add(
            Finding(
                "active-content",
                "block",
                _("The file contains script or embedded active content."),
            )
        )
    facts = text_facts(text)
    if table is not None:
        for finding in check_table(table, params, context, facts):
            report.add(finding)
        return
    if kind == "json":
        tables = tables_in_json(document)
        prose = not tables
    elif kind == "ipynb":
        tables, prose = [], True
    else:
        tables = tables_in_text(text)
        table_lines = sum(t.num_rows + 2 for t in tables)  # header and a Markdown rule
        prose = sum(1 for line in text.splitlines() if line.strip()) > table_lines
    for found in tables:
        for finding in check_table(found, params, context, facts):
            report.add(finding)
    report.findings += row_level_text(text, context)
    if facts.df_resid is not None and not any(is_regression_table(t) for t in tables):
        report.findings += regression_rules(
            TableData(names=[], raw=pa.table({})), params, stated_df=facts.df_resid, stated=True
        )
    if prose:
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
    """Person identifiers anywhere in free text: the extract's (whole or shortened), and
    tokens shaped like pseudonyms or UUIDs, which no prose needs."""
    tokens = text_tokens(text)
    findings: list[Finding] = []
    if context.person_ids is not None:
        table = TableData(names=["text"], raw=pa.table({"text": tokens}))
        found = [
            f
            for f in row_level_rules(table, assign_roles(table), SdcParams(), context.person_ids)
            if f.rule == "person-identifier"
        ]
        for finding in found:
            finding.cells = []
        findings += found
    if not findings and strong_tokens(tokens) >= 3:
        findings.append(
            Finding(
                "pseudonym-like",
                "block",
                _(
                    "The text holds values shaped like pseudonyms or UUIDs: identifiers of "
                    "individuals cannot leave."
                ),
            )
        )
    return findings


def check_table(
    table: TableData,
    params: SdcParams,
    context: CheckContext | None = None,
    facts: TextFacts | None = None,
) -> list[Finding]:
    """Recognise what the table is, then apply that kind's rules: row-level data is
    blocked as such; aggregates get the threshold, dominance, derived counts, rounding,
    class disclosure, the profile's rules and differencing; a regression summary its degrees
    of freedom."""
    context = context or CheckContext()
    facts = facts or TextFacts()
    ids = as_id_array(context.person_ids)
    # Headers that are record values are named by position from here on, in every finding.
    table = public_table(table, record_headers(table, ids))
    roles = assign_roles(table, context.stat)
    findings = formula_rules(table)
    row_level = row_level_rules(table, roles, params, ids, context.n_persons)
    findings += row_level
    if any(f.rule in ROW_LEVEL and f.severity == "block" for f in row_level):
        return findings
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
    if params.facility_min:  # facilities are counted against their own minimum
        roles.counts = [c for c in roles.counts if not FACILITY.search(c)]
    if not is_regression_table(table):  # coefficients and t values are not counts
        findings += frequency_rules(table, roles, params)
        findings += magnitude_rules(table, roles, has_contributors=stats is not None)
        findings += derived_counts(table, roles, params)
        findings += hidden_means(table, roles)
        findings += rounding(table, roles, params, verified=stats is not None)
        findings += class_disclosure(table, roles, params)
        findings += ndb_rules(table, roles, params)
    if stats is not None:
        findings += contributor_findings(
            table, roles, stats, list(context.by), params, context.stat or "count"
        )
    findings += regression_rules(table, params, facts.n, facts.df_resid)
    findings += within_table(table, roles, params, facts.total)
    findings += across_companions(table, params, [_load_table(c, ids) for c in context.companions])
    earlier = [_load_table(e, ids) for e in context.earlier_releases]
    findings += against_releases(
        table, roles, params, [e for e in earlier if e is not None], context.stat
    )
    return findings


def _load_table(item: str | Path | TableData, ids: pa.Array | None) -> TableData | None:
    """Another table, its columns named as this table's are (so that they match)."""
    if isinstance(item, TableData):
        table = item
    else:
        try:
            decoded = decode(Path(item).read_bytes())
        except (OSError, DecodeProblem):
            return None
        try:  # one column has no delimiter to find, and is still a table
            table = read_delimited(decoded.text, sniff_delimiter(decoded.text) or ",")
        except (pa.ArrowInvalid, ValueError):
            return None
    return public_table(table, record_headers(table, ids))


__all__ = ["CheckContext", "check_file", "check_table"]
