"""`tre demo-data`: synthetic FHIR bulk NDJSON at any scale."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tre.cli.common import JsonFlag, console, emit, err_console
from tre.i18n import _
from tre.lake.synth import write_demo_data


def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Directory to write NDJSON files into.")],
    patients: Annotated[int, typer.Option("--patients", help="How many patients.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 1,
    gzip: Annotated[
        bool, typer.Option("--gzip", help="Write .ndjson.gz files (about 9x smaller).")
    ] = False,
    data_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="bulk: NDJSON per resource type; jp-clins: JP-CLINS document Bundles.",
        ),
    ] = "bulk",
    as_json: JsonFlag = False,
) -> None:
    """Write synthetic FHIR R4 data: bulk-export NDJSON (Japanese prefectures, ICD-10, costs)
    or JP-CLINS document Bundles (referrals, discharge summaries, check-ups)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    )
    with progress:
        task = progress.add_task(_("Generating patients"), total=max(patients, 0))
        summary = write_demo_data(
            out,
            patients,
            seed,
            compressed=gzip,
            on_chunk=lambda n: progress.advance(task, n),
            data_format=data_format,
        )
    emit(summary.as_dict(), as_json, _render)


def _render(data: dict[str, Any]) -> None:
    seconds = max(data["seconds"], 1e-9)
    console.print(
        _("Wrote {patients} patients ({resources} resources) to {out} in {seconds:.1f} s.").format(
            patients=data["patients"],
            resources=data["total_resources"],
            out=data["out"],
            seconds=data["seconds"],
        )
    )
    for name, size in data["files"].items():
        console.print(f"  {name:28} {size / 1e6:10.1f} MB")
    console.print(
        _("{rate:.0f} patients/s, {resources:.0f} resources/s").format(
            rate=data["patients"] / seconds, resources=data["total_resources"] / seconds
        )
    )
