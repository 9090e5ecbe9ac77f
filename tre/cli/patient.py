"""`tre patient` commands: a data holder issues a person's one-time code for the patients' page."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tre.cli.common import JsonFlag, console, emit, settings
from tre.cli.identity import current_actor
from tre.i18n import _

app = typer.Typer(no_args_is_help=True)


@app.command("issue-code")
def issue_code(
    source: Annotated[str, typer.Option("--source", help="Source that knows the person.")],
    identifier: Annotated[str, typer.Option("--id", help="The person's id in that source.")],
    as_json: JsonFlag = False,
) -> None:
    """Issue a one-time code with which the person sees their records' use and opts out
    (a stand-in for My Number card verification). The id is never stored."""
    from tre.patients.codes import issue_code as issue

    def render(data: dict[str, Any]) -> None:
        console.print(
            f"{data['code']}  ({_('valid until')} {data['expires_at']:%Y-%m-%d %H:%M} UTC)"
        )

    emit(issue(settings(), current_actor(), source, identifier), as_json, render)
