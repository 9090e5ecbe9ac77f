"""`tre sdc` commands: automated disclosure checks on one output, usable standalone.

Exit status of `tre sdc check`: 0 pass, 10 review (a person must look), 11 block (must not be
released as it is); 1-6 are the usual errors (e.g. 6 for unreadable microdata).
`--format acro` prints the verdict as an ACRO-compatible results.json (`tre.sdc.acro_results`);
with `--out DIR` it writes the folder ACRO writes (the output, results.json, checksums/), which
SACRO-Viewer opens.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tre.cli.common import JsonFlag, console, emit, settings
from tre.i18n import _
from tre.sdc import CheckContext, FileReport, SdcParams, check_file
from tre.sdc.microdata import STATS

app = typer.Typer(no_args_is_help=True)

EXIT_PASS = 0
EXIT_REVIEW = 10
EXIT_BLOCK = 11
_EXIT = {"pass": EXIT_PASS, "review": EXIT_REVIEW, "block": EXIT_BLOCK}
_STYLE = {"block": "bold red", "review": "yellow", "info": "dim", "pass": "green"}


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    ACRO = "acro"


def _params(tier: str | None) -> SdcParams:
    """The tier's parameters from policy data; ACRO's defaults when no policy data exists."""
    from tre.policy import sdc_parameters

    try:
        values: Any = sdc_parameters(settings(), tier)
    except Exception as exc:  # no policy data outside a TRE: the standalone defaults apply
        if tier is not None:
            raise exc
        return SdcParams()
    return SdcParams.from_mapping(values)


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The output file to check.")],
    microdata: Annotated[
        Path | None, typer.Option(help="Parquet or CSV microdata the table was computed from.")
    ] = None,
    by: Annotated[
        str | None, typer.Option(help="Comma-separated grouping columns of the microdata.")
    ] = None,
    value: Annotated[str | None, typer.Option(help="The microdata column summarised.")] = None,
    unit: Annotated[
        str | None, typer.Option(help="The person column: count people, not records.")
    ] = None,
    stat: Annotated[
        str | None, typer.Option(help="What the cells hold: " + "|".join(STATS) + ".")
    ] = None,
    tier: Annotated[
        str | None, typer.Option(help="Sensitivity tier whose thresholds apply.")
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            help="Rules of a releasing body instead of the tier's: acro, opensafely, ndb."
        ),
    ] = None,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            help="table (for people), json (the findings), or acro (an ACRO-compatible "
            "results.json that SACRO-Viewer reads).",
        ),
    ] = Format.TABLE,
    out: Annotated[
        Path | None,
        typer.Option(
            help="With --format acro: write FILE, results.json and checksums/ to this new "
            "folder, as ACRO does."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run the automated disclosure checks on FILE; exit 0 pass, 10 review, 11 block."""
    from tre.errors import InputError

    if stat is not None and stat not in STATS:
        raise InputError(
            _("Unknown statistic '{stat}'.").format(stat=stat),
            hint=_("Use one of: {stats}.").format(stats=", ".join(STATS)),
        )
    if microdata is not None and not by:
        raise InputError(_("--microdata needs --by (the grouping columns)."))
    if out is not None and output_format != Format.ACRO:
        raise InputError(_("--out is for --format acro."))
    if out is not None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(
            _("{path} already exists and is not an empty folder.").format(path=out),
            hint=_("Name a new folder for the ACRO results."),
        )
    if not file.exists() and not file.is_symlink():
        from tre.errors import NotFound

        raise NotFound(_("No file at {path}.").format(path=file))
    context = CheckContext(
        microdata=microdata,
        by=[b.strip() for b in by.split(",")] if by else [],
        value=value,
        unit=unit,
        stat=stat,
    )
    params = SdcParams.profile_named(profile) if profile is not None else _params(tier)
    report = check_file(file, params, context)
    if output_format == Format.ACRO:
        _emit_acro(file, report, out)
    else:
        emit(report.to_dict(), as_json or output_format == Format.JSON, _render)
    raise typer.Exit(_EXIT[report.verdict])


def _emit_acro(file: Path, report: FileReport, out: Path | None) -> None:
    """Print the ACRO results.json of FILE; with `out`, write ACRO's folder aside and rename
    it into place, so the folder is complete or absent."""
    from tre import __version__
    from tre.sdc import acro_results

    readable = file.is_file() and not file.is_symlink()
    sha256 = _sha256(file) if readable else ""
    result = acro_results.output_result(
        file.name,
        report.to_dict(),
        timestamp=datetime.now().astimezone().isoformat(timespec="seconds"),
        command=f"tre sdc check {file.name}",
        columns=acro_results.table_columns(file) if readable else None,
    )
    result["files"][0]["sha256"] = sha256
    document = acro_results.results_document([result], __version__)
    if out is not None:
        extra = acro_results.folder_files(document, {file.name: sha256} if readable else {})
        _write_folder(out, file if readable else None, extra)
    sys.stdout.write(acro_results.results_json(document).decode("utf-8") + "\n")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_folder(out: Path, output: Path | None, files: dict[str, bytes]) -> None:
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}-"))
    try:
        if output is not None:
            shutil.copyfile(output, staging / output.name)
        for relpath, body in files.items():
            target = staging / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
        if out.exists():
            out.rmdir()  # checked empty above
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _render(data: dict[str, Any]) -> None:
    report_verdict = data["verdict"]
    console.print(
        f"[bold]{data['path']}[/bold] ({data['detected_type']}, {data['size']} bytes): "
        f"[{_STYLE[report_verdict]}]{_(report_verdict)}[/]"
    )
    if not data["findings"]:
        console.print(_("No findings."))
        return
    table = Table(show_lines=False)
    table.add_column(_("severity"))
    table.add_column(_("rule"))
    table.add_column(_("finding"), overflow="fold")
    table.add_column(_("where"), overflow="fold")
    for finding in data["findings"]:
        table.add_row(
            f"[{_STYLE[finding['severity']]}]{finding['severity']}[/]",
            finding["rule"],
            finding["message"],
            _where(finding),
        )
    console.print(table)


def _where(finding: dict[str, Any]) -> str:
    cells = finding["cells"]
    if cells:
        shown = ", ".join(f"r{row + 1}:{col}" for row, col in cells[:8])
        more = len(cells) - 8
        return shown + (f" (+{more})" if more > 0 else "")
    return ", ".join(finding["columns"])


__all__ = ["EXIT_BLOCK", "EXIT_PASS", "EXIT_REVIEW", "FileReport", "app"]
