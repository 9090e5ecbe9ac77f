"""`tre image` commands."""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tre.cli.common import JsonFlag, console, emit, err_console, settings
from tre.i18n import _
from tre.workspace.image import BuildOptions, build_workspace_image

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
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.fields[phase]:<10}"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task(_("starting"), phase="docker")

        def report(phase: str, detail: str) -> None:
            progress.update(task, description=detail, phase=phase)

        result = build_workspace_image(options, report)
    emit(asdict(result), as_json, _render)


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
