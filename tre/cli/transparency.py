"""`tre transparency` commands."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tre.cli.common import JsonFlag, console, emit, settings
from tre.cli.identity import current_actor
from tre.i18n import _

app = typer.Typer(no_args_is_help=True)


def _render(data: dict[str, Any]) -> None:
    if not data["projects"]:
        console.print(_("No project's extract included this person."))
    for project in data["projects"]:
        console.print(
            f"[bold]{project['id']}[/bold] {project['title']} ({project['organisation']}), "
            f"{project['period']['start']} - {project['period']['end']}; "
            + _("included from {first} to {last}").format(
                first=project["first_included"].date(), last=project["last_included"].date()
            )
        )
    console.print(_("The person has opted out.") if data["opted_out"] else _("No opt-out."))


@app.command()
def lookup(
    source: Annotated[str, typer.Option("--source", help="Source system name.")],
    identifier: Annotated[str, typer.Option("--id", help="The person's id in that source.")],
    as_json: JsonFlag = False,
) -> None:
    """Which projects' extracts included this person, and whether they opted out."""
    from tre.extract.transparency import lookup as do_lookup

    emit(do_lookup(settings(), current_actor(), source, identifier), as_json, _render)
