"""The verdicts of `check_file` as an ACRO-compatible `results.json`, so that SACRO-Viewer,
ACRO itself and other TREs can read them.

The layout is the one ACRO 1.0.2 writes (`acro.record.Records.finalise_json`): a top-level
`version`, `tool` and `results`, one result per output keyed by its name, each with `uid`,
`status` (pass / fail / review), `type`, `properties`, `files` (`name` and `sdc`: per check the
number of flagged cells and their `[row, column]` positions), `outcome` (per column, per row,
the checks a cell failed), `command`, `summary`, `timestamp`, `comments`, `exception` and
`fair`; a folder holds `results.json` beside the outputs and `checksums/<name>.txt` (the
SHA-256 of each output), as ACRO's `write_checksums` writes it. Differences, all readable by
ACRO's and SACRO-Viewer's loaders, are listed in docs/sdc.md.

Pure: builds dictionaries and bytes; reading a table's header is the only file access.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tre.sdc.columns import column_index
from tre.sdc.text import DecodeProblem, decode
from tre.sdc.textkind import parse_text

# The ACRO release whose results.json layout this writes (what readers check).
ACRO_FORMAT_VERSION = "1.0.2"
RESULTS_FILE = "results.json"
CHECKSUMS_DIR = "checksums"

STATUS = {"block": "fail", "review": "review", "pass": "pass"}

# Our rules that are ACRO's checks, under ACRO 1.0.2's names (its checks.json); other rules
# keep their own names.
ACRO_CHECKS = {
    "threshold": "MinimumThresholdCheck",
    "nk-dominance": "NKCheck",
    "p-ratio": "PPercentCheck",
    "zeros": "PresenceOfZeroCheck",
    "regression-df": "MinimumDoFCheck",
    "differencing-total": "PresenceOfLinkedTableCheck",
    "differencing-omitted": "PresenceOfLinkedTableCheck",
    "differencing-release": "PresenceOfLinkedTableCheck",
}

_FLAGGING = ("block", "review")


def table_columns(path: str | Path, filename: str | None = None) -> list[str] | None:
    """The header row of a text output holding a table, in file order, to place the cells
    findings name (by header, or by position); None for anything else. Never written out."""
    name = filename or Path(path).name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        decoded = decode(Path(path).read_bytes())
    except (OSError, DecodeProblem):
        return None
    _kind, table, _problems, _document = parse_text(decoded.text, extension)
    return list(table.names) if table is not None else None


def output_result(
    name: str,
    report: Mapping[str, Any],
    *,
    timestamp: str,
    command: str,
    columns: list[str] | None = None,
    exception: str = "",
) -> dict[str, Any]:
    """One output's entry: `report` is a `FileReport.to_dict()` (as the airlock stores it),
    `columns` the table's columns in file order (see `table_columns`)."""
    findings = [f for f in report.get("findings", []) if isinstance(f, Mapping)]
    flagged = [f for f in findings if f.get("severity") in _FLAGGING]
    rules = {str(f.get("rule", "")) for f in findings}
    kind = (
        "regression"
        if any(r.startswith("regression") for r in rules)
        else "table"
        if columns is not None
        else "custom"
    )
    properties: dict[str, Any] = {"method": str(report.get("detected_type", "unknown"))}
    if report.get("provenance"):
        properties["provenance"] = report["provenance"]
    sdc, outcome = _sdc_and_outcome(flagged, columns) if kind != "custom" else ({}, {})
    status = STATUS.get(str(report.get("verdict")), "review")
    return {
        "uid": name,
        "status": status,
        "type": kind,
        "properties": properties,
        "files": [{"name": name, "sdc": sdc}],
        "outcome": outcome,
        "command": command,
        "summary": _plain(_summary(status, flagged, columns)),
        "timestamp": timestamp,
        "comments": [_plain(_comment(f)) for f in findings],
        "exception": _plain(exception),
        "fair": {},
    }


def results_document(results: Iterable[dict[str, Any]], tool_version: str) -> dict[str, Any]:
    """The whole `results.json`, results keyed by their `uid`."""
    return {
        "version": ACRO_FORMAT_VERSION,
        "tool": {
            "@type": "SoftwareApplication",
            "name": "tre.sdc",
            "version": tool_version,
        },
        "results": {r["uid"]: r for r in results},
    }


def results_json(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, indent=4, ensure_ascii=False).encode("utf-8")


def folder_files(document: Mapping[str, Any], sha256: Mapping[str, str]) -> dict[str, bytes]:
    """The files of an ACRO output folder besides the outputs themselves, by relative path:
    `results.json` and `checksums/<name>.txt` for each output named in `sha256`."""
    files = {RESULTS_FILE: results_json(document)}
    for name, digest in sha256.items():
        files[f"{CHECKSUMS_DIR}/{name}.txt"] = digest.encode("ascii")
    return files


def check_name(rule: str) -> str:
    return ACRO_CHECKS.get(rule, rule)


def _positions(finding: Mapping[str, Any], columns: list[str]) -> list[tuple[int, int, str]]:
    """(row, column, name) per flagged cell: row and column as ACRO counts them (the first
    column is the table's index, as in the CSVs ACRO writes, so data columns count from the
    second column; a cell of the first column is -1), and the column as the finding names
    it (its header, or its position when the header is a record value)."""
    out = []
    for cell in finding.get("cells") or []:
        try:
            row, column = int(cell[0]), str(cell[1])
        except (TypeError, ValueError, IndexError):
            continue
        index = column_index(column, columns)
        if index is not None:
            out.append((row, index - 1, column))
    return out


def _sdc_and_outcome(
    flagged: list[Mapping[str, Any]], columns: list[str] | None
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    summary: dict[str, int] = {}
    cells: dict[str, list[list[int]]] = {}
    outcome: dict[str, dict[str, str]] = {}
    for finding in flagged:
        check = check_name(str(finding.get("rule", "")))
        positions = _positions(finding, columns or [])
        known = cells.setdefault(check, [])
        known += [[row, col] for row, col, _name in positions if [row, col] not in known]
        summary[check] = len(known) or summary.get(check, 0) + 1
        for row, _col, name in positions:
            marks = outcome.setdefault(name, {})
            if f"{check}; " not in marks.get(str(row), ""):
                marks[str(row)] = marks.get(str(row), "") + f"{check}; "
    for check in cells:
        cells[check].sort()
    return {"summary": summary, "cells": cells}, outcome


def _summary(status: str, flagged: list[Mapping[str, Any]], columns: list[str] | None) -> str:
    """ACRO's form: the status, then `check: what` parts, each ending in "; " (SACRO-Viewer
    shows the first part as the status and the rest beside it)."""
    parts: dict[str, str] = {}
    for finding in flagged:
        check = check_name(str(finding.get("rule", "")))
        n = len(_positions(finding, columns or []))
        if n:
            parts[check] = f"{check}: {n} cells may need suppressing; "
        else:
            parts.setdefault(check, f"{check}: {finding.get('severity')}; ")
    return f"{status}; " + "".join(parts.values()) if parts else status


def _comment(finding: Mapping[str, Any]) -> str:
    return f"{finding.get('rule')} ({finding.get('severity')}): {english(finding)}"


def english(finding: Mapping[str, Any]) -> str:
    """A finding's message in English (the stored text may be in the checker's language)."""
    msgid, params = finding.get("message_id"), finding.get("message_params") or {}
    if isinstance(msgid, str) and isinstance(params, Mapping):
        try:
            return msgid.format(**params)
        except (KeyError, IndexError, ValueError):
            pass
    return str(finding.get("message", ""))


def _plain(text: str) -> str:
    """Text that stays text: SACRO-Viewer inserts summary, comments and exception as HTML,
    and a message may quote a column name written by the analyst."""
    return text.replace("<", "\u2039").replace(">", "\u203a")


__all__ = [
    "ACRO_CHECKS",
    "ACRO_FORMAT_VERSION",
    "CHECKSUMS_DIR",
    "RESULTS_FILE",
    "english",
    "folder_files",
    "output_result",
    "results_document",
    "results_json",
    "table_columns",
]
