"""`tre.client.check(path)`: the airlock's automated checks, run inside the workspace.

A convenience for instant feedback before submitting; the airlock runs the same checks
outside the workspace, where they count. When the file has a sidecar from a cross-tabulation,
its contributor statistics feed the dominance rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # tre.sdc is imported when a check runs, keeping `import tre.client` light
    from tre.sdc import CheckContext, FileReport, SdcParams


def check(path: str | Path, params: SdcParams | dict[str, Any] | None = None) -> FileReport:
    """Check one output file; print nothing, return the report (`.verdict`, `.findings`)."""
    from tre.sdc import CheckContext, SdcParams, check_file
    from tre.sdc.filetype import sidecar_path

    if not isinstance(params, SdcParams):
        params = SdcParams.from_mapping(params)
    path = Path(path)
    context = CheckContext()
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        context = _context_from_sidecar(sidecar)
    return check_file(path, params, context)


def _context_from_sidecar(sidecar: Path) -> CheckContext:
    from tre.sdc import CheckContext
    from tre.sdc.tabulate import stats_from_json

    try:
        document = json.loads(sidecar.read_text("utf-8"))
    except (OSError, ValueError):
        return CheckContext()
    if not isinstance(document, dict) or document.get("kind") != "crosstab":
        return CheckContext()
    parameters = document.get("parameters") or {}
    contributors = document.get("contributors")
    if not isinstance(contributors, dict):
        return CheckContext()
    by = [*parameters.get("index", []), parameters.get("columns")]
    return CheckContext(
        cell_stats=stats_from_json(contributors),
        by=[b for b in by if isinstance(b, str)],
        stat=parameters.get("aggfunc"),
        unit=parameters.get("unit"),
    )


__all__ = ["check"]
