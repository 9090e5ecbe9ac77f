"""`tre optout` commands: record and list opt-outs (stored as pseudonyms only)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from tre.cli.common import JsonFlag, console, emit, settings
from tre.cli.identity import current_actor
from tre.i18n import _
from tre.lake import events as lake_events
from tre.lake.optout import add_optout, list_optouts

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    source: Annotated[str, typer.Option("--source", help="Source the id belongs to.")],
    identifier: Annotated[
        str, typer.Option("--id", help="The person's id there (the linkage identifier if set).")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Record that a person opted out; only the lake pseudonym is stored."""
    cfg = settings()
    actor = current_actor(cfg)
    lake_events.require(cfg, actor, "optout.add")
    entry = add_optout(cfg, source, identifier, actor=actor)

    def render(data: dict[str, Any]) -> None:
        message = _("Opt-out recorded") if data["new"] else _("Already opted out")
        console.print(f"{message}: {data['person_id'][:16]}…")

    emit(entry, as_json, render)


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """List opt-outs (pseudonyms, source, time)."""
    entries = list_optouts(settings())

    def render(items: list[dict[str, Any]]) -> None:
        table = Table(_("person pseudonym"), _("source"), _("recorded"))
        for e in items:
            table.add_row(e["person_id"], e["source"], e["recorded_at"])
        console.print(table if items else _("No opt-outs recorded."))

    emit(entries, as_json, render)
