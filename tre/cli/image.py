"""`tre image` commands."""

from __future__ import annotations

import re
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from tre.cli.common import JsonFlag, console, emit, err_console, settings
from tre.i18n import _
from tre.workspace.image import BuildOptions, BuildResult, build_workspace_image

_BUILD_STEP = re.compile(r"^\[(\d+)/(\d+)\]")

app = typer.Typer(no_args_is_help=True)


class Base(StrEnum):
    local = "local"
    registry = "registry"


@app.command("build")
def build(
    base: Annotated[
        Base,
        typer.Option(
            help="local: base built from Debian packages (no registry needed); "
            "registry: python:3.11-slim pulled from a registry."
        ),
    ] = Base.local,
    tag: Annotated[
        str | None, typer.Option(help="Image name; default: the workspace_image setting.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Build the workspace image (and its base and wheelhouse when missing), reusing caches."""
    cfg = settings()
    options = BuildOptions(
        base="registry" if base is Base.registry else "local",
        tag=tag or cfg.workspace_image,
        log_path=cfg.home_path / "logs" / "image-build.log",
    )
    result = build_with_progress(options, quiet=as_json)
    emit(asdict(result), as_json, _render)


def build_with_progress(options: BuildOptions, quiet: bool = False) -> BuildResult:
    """Build the image with a progress bar on stderr (Dockerfile steps as they start)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.fields[phase]:<10}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task(_("starting"), phase="docker", total=None)

        def report(phase: str, detail: str) -> None:
            step = _BUILD_STEP.match(detail)
            if step:
                done, total = int(step.group(1)), int(step.group(2))
                progress.update(task, completed=done - 1, total=total)
            else:
                progress.update(task, completed=0, total=None)
            progress.update(task, description=detail, phase=phase)

        return build_workspace_image(options, report)


def _render(result: dict[str, Any]) -> None:
    console.print(
        _("Built {image} ({size} MB) in {seconds} s.").format(
            image=result["image"], size=round(result["size_bytes"] / 1e6), seconds=result["seconds"]
        )
    )
    if result["base_built"]:
        console.print(_("Also built the base image {image}.").format(image=result["base_image"]))
    if result["wheelhouse_built"]:
        console.print(_("Downloaded the wheelhouse."))
