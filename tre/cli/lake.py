"""`tre lake` commands: ingest, snapshots, catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from tre.cli.common import JsonFlag, console, emit, err_console, settings
from tre.cli.identity import current_actor
from tre.i18n import _, translate_description
from tre.lake import events as lake_events
from tre.lake.catalog import load_catalog
from tre.lake.ingest import ingest_fhir
from tre.lake.snapshots import list_snapshots
from tre.lake.tabular import ingest_table

app = typer.Typer(no_args_is_help=True)
ingest_app = typer.Typer(no_args_is_help=True)
app.add_typer(ingest_app, name="ingest", help="Ingest a source into a new lake snapshot.")


def _summary(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": manifest["id"],
        "created_at": manifest["created_at"],
        "source": manifest["source"],
        "rows": manifest["rows"],
        "persons": manifest["persons"],
        "content_sha256": manifest["content_sha256"],
        "tables": {
            t: {"rows": d["rows"], "persons": d["persons"], "sha256": d["sha256"]}
            for t, d in manifest["tables"].items()
        },
        "unmodelled": manifest.get("unmodelled", {}),
        "unlinked": manifest.get("unlinked", {}),
        "skipped": manifest.get("skipped", {}).get("counts", {}),
    }


def _render_ingest(data: dict[str, Any]) -> None:
    console.print(f"{_('Published snapshot')} {data['id']} ({data['source']})")
    table = Table(_("table"), _("rows"), _("persons"))
    for name, info in sorted(data["tables"].items()):
        table.add_row(name, str(info["rows"]), str(info["persons"] or ""))
    console.print(table)
    if data["unmodelled"]:
        counts = ", ".join(f"{t} {n}" for t, n in data["unmodelled"].items())
        console.print(f"{_('Not modelled (counted, not ingested)')}: {counts}")
    if data["unlinked"]:
        counts = ", ".join(f"{t} {n}" for t, n in data["unlinked"].items())
        console.print(f"{_('Without a patient (counted, not ingested)')}: {counts}")
    if data["skipped"]:
        counts = ", ".join(f"{p} {n}" for p, n in data["skipped"].items())
        console.print(f"{_('Skipped records')}: {counts}")


@ingest_app.command("fhir")
def fhir(
    paths: Annotated[
        list[Path], typer.Argument(help="FHIR Bundles (*.json) or NDJSON files/folders.")
    ],
    source: Annotated[str, typer.Option("--source", help="Source name, e.g. synthea.")],
    on_error: Annotated[
        str, typer.Option("--on-error", help="fail (default) or skip bad records, reported.")
    ] = "fail",
    linkage_system: Annotated[
        str | None,
        typer.Option(
            "--linkage-system", help="Identifier system that links persons across sources."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ingest FHIR R4 bundles and bulk NDJSON into a new pseudonymised snapshot."""
    cfg = settings()
    actor = current_actor(cfg)  # before the work: a refused actor ingests nothing
    lake_events.require(cfg, actor, "lake.ingest")
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=as_json or not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(_("Ingesting"), total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        manifest = ingest_fhir(
            cfg, paths, source, actor=actor, on_error=on_error,
            linkage_system=linkage_system, progress=advance,
        )  # fmt: skip
    emit(_summary(manifest), as_json, _render_ingest)


@ingest_app.command("table")
def table(
    spec: Annotated[Path, typer.Argument(help="The YAML spec of a CSV or Parquet source.")],
    as_json: JsonFlag = False,
) -> None:
    """Ingest a CSV or Parquet file under a declarative pseudonymisation spec."""
    cfg = settings()
    actor = current_actor(cfg)
    lake_events.require(cfg, actor, "lake.ingest")
    emit(_summary(ingest_table(cfg, spec, actor=actor)), as_json, _render_ingest)


@app.command("snapshots")
def snapshots(as_json: JsonFlag = False) -> None:
    """List the lake's snapshots: id, time, source, tables, rows, persons, hashes."""
    data = [_summary(m) for m in list_snapshots(settings())]

    def render(items: list[dict[str, Any]]) -> None:
        table = Table(
            _("id"),
            _("created"),
            _("source"),
            _("tables"),
            _("rows"),
            _("persons"),
            _("content sha256"),
        )
        for m in items:
            table.add_row(
                m["id"],
                m["created_at"],
                m["source"],
                str(len(m["tables"])),
                str(m["rows"]),
                str(m["persons"]),
                m["content_sha256"][:16],
            )
        console.print(table if items else _("The lake has no snapshots yet."))

    emit(data, as_json, render)


@app.command("catalog")
def catalog(as_json: JsonFlag = False) -> None:
    """Datasets of the latest snapshot per source: columns, rows, persons, dates, tier."""
    data = load_catalog(settings()).to_dict()

    def render(body: dict[str, Any]) -> None:
        if not body["datasets"]:
            console.print(_("The lake has no snapshots yet."))
        for ds in body["datasets"]:
            coverage = ds.get("coverage") or {}
            dates = f" {coverage.get('min')} … {coverage.get('max')}" if coverage else ""
            console.print(
                f"[bold]{ds['name']}[/bold] {_('rows')} {ds['rows']} {_('persons')} "
                f"{ds['persons'] if ds['persons'] is not None else '-'} {_('tier')} "
                f"{ds['tier']}{dates}"
            )
            if ds.get("description"):
                console.print(f"  {translate_description(ds['description'])}")
            for col in ds["columns"]:
                console.print(
                    f"  {col['name']} ({col['type']}, {col['role']}): "
                    f"{translate_description(col['description'] or '')}"
                )
        console.print(f"{_('Persons opted out')}: {body['opted_out']}")

    emit(data, as_json, render)
