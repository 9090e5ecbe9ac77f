"""`tre project provision ID` and `tre project refresh ID`: build a project's extract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tre.cli.common import JsonFlag, console, emit, err_console, settings
from tre.cli.identity import current_actor
from tre.i18n import _

ProjectId = Annotated[str, typer.Argument(metavar="ID", help="Project id, e.g. p-1.")]


def _render(data: dict[str, Any]) -> None:
    console.print(
        _("Extract {build} of {project}: {persons} persons.").format(
            build=data["build_id"], project=data["project"], persons=data["persons"]
        )
    )
    for table in data["tables"]:
        console.print(f"  {table['name']}: {table['rows']} rows")
    console.print(f"  {data['path']}")


def _run(action: Callable[..., dict[str, Any]], project_id: str, as_json: bool) -> None:
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True, disable=as_json) as bar:
        task = bar.add_task(_("Building extract"), total=None)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        result = action(settings(), project_id, current_actor(), report)
    emit(result, as_json, _render)


def provision(project_id: ProjectId, as_json: JsonFlag = False) -> None:
    """Build the project's extract from the lake and switch its workspaces to it."""
    from tre.extract.service import provision as do_provision

    _run(do_provision, project_id, as_json)


def refresh(project_id: ProjectId, as_json: JsonFlag = False) -> None:
    """Rebuild a provisioned project's extract (after an opt-out or a permit change)."""
    from tre.extract.service import refresh as do_refresh

    _run(do_refresh, project_id, as_json)
