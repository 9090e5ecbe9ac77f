"""`tre project` commands: thin over tre.projects; the policy decides, the audit log records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tre import projects
from tre.cli import provision
from tre.cli.common import JsonFlag, console, emit, settings
from tre.cli.identity import current_actor
from tre.i18n import _

app = typer.Typer(no_args_is_help=True)

Reason = Annotated[str, typer.Option("--reason", help="Why; recorded in the audit log.")]


class MemberAction(StrEnum):
    add = "add"
    role = "role"
    handover = "handover"
    remove = "remove"


def _render_project(data: dict[str, Any]) -> None:
    console.print(f"[bold]{data['id']}[/bold] {data['title']} ({data['status']})")
    for key in ("purpose", "organisation", "applicant", "tier"):
        console.print(f"  {key}: {data[key]}")
    console.print(f"  period: {data['period']['start']} - {data['period']['end']}")
    for name, columns in data["datasets"].items():
        console.print(f"  dataset {name}: {', '.join(columns)}")
    for member in data["members"]:
        console.print(f"  member {member['username']} ({member['role']})")
    permit = data.get("permit")
    if permit:
        state = (
            _("revoked") if permit["revoked_at"] else f"{permit['valid_from']}-{permit['valid_to']}"
        )
        console.print(f"  {_('permit')}: {state}")
        if permit.get("cohort_filter"):
            console.print(f"  {_('cohort filter')}: {permit['cohort_filter']}")
    if "extract" in data:
        _render_deleted(data)


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(_("use the form YYYY-MM-DD"), param_hint=option) from None


def _notify_hub(cfg: Any) -> None:
    """Stop the workspaces that just lost their right, if a hub runs here (else its operator
    service does it at its next round)."""
    from tre.workspace.enforce import notify_hub

    notify_hub(cfg)


@app.command()
def apply(
    file: Annotated[Path, typer.Argument(help="Application YAML file.")],
    as_json: JsonFlag = False,
) -> None:
    """Submit a project application (validated against the lake catalogue)."""
    emit(projects.apply(settings(), current_actor(), file), as_json, _render_project)


@app.command()
def ask(
    project_id: Annotated[str, typer.Argument(metavar="ID")],
    question: Annotated[str, typer.Option("--question", help="What the applicant should answer.")],
    as_json: JsonFlag = False,
) -> None:
    """Ask the applicant questions: the application goes back to them until they answer."""
    result = projects.ask(settings(), current_actor(), project_id, question)
    emit(result, as_json, _render_project)


@app.command()
def resubmit(
    project_id: Annotated[str, typer.Argument(metavar="ID")],
    file: Annotated[Path, typer.Argument(help="The application as it now stands (YAML).")],
    answer: Annotated[str, typer.Option("--answer", help="Your answer to the questions.")],
    as_json: JsonFlag = False,
) -> None:
    """Answer the review body's questions, with the application as it now stands."""
    from tre.application import read_application

    application = read_application(file)
    result = projects.resubmit(settings(), current_actor(), project_id, application, answer)
    emit(result, as_json, _render_project)


def _parse_grant(values: list[str] | None) -> dict[str, list[str]] | None:
    if not values:
        return None
    grant: dict[str, list[str]] = {}
    for value in values:
        name, _sep, columns = value.partition("=")
        if not name or not columns:
            raise typer.BadParameter(_("use DATASET=COLUMN,COLUMN"), param_hint="--grant")
        grant[name.strip()] = [c.strip() for c in columns.split(",") if c.strip()]
    return grant


@app.command()
def approve(
    project_id: Annotated[str, typer.Argument(metavar="ID")],
    valid_to: Annotated[
        str | None, typer.Option("--valid-to", help="Last day of the permit (YYYY-MM-DD).")
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option("--valid-from", help="First day of the permit (YYYY-MM-DD).")
    ] = None,
    grant: Annotated[
        list[str] | None,
        typer.Option(
            "--grant",
            help="DATASET=COLUMN,COLUMN: grant only these (repeatable; default: what was applied "
            "for). A permit never grants more than the application asked for.",
        ),
    ] = None,
    tier: Annotated[
        str | None,
        typer.Option("--tier", help="Sensitivity tier (standard or high); never below the data's."),
    ] = None,
    reason: Reason = "",
    cohort_filter: Annotated[
        str | None,
        typer.Option(
            "--cohort-filter",
            help="Restrict the permit to the persons matching this SQL condition on the "
            "granted patient columns, e.g. \"region IN ('Tokyo', 'Osaka')\".",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Approve an application and issue its data permit on these terms."""
    end = _parse_date(valid_to, "--valid-to")
    start = _parse_date(valid_from, "--valid-from")
    granted = _parse_grant(grant)
    cfg, actor = settings(), current_actor()
    checked = None
    if cohort_filter is not None:
        from tre.extract.service import checked_cohort_filter

        terms = granted or projects.show(cfg, actor, project_id)["datasets"]
        checked = checked_cohort_filter(cfg, terms, cohort_filter) or None
    result = projects.approve(
        cfg, actor, project_id, end, reason, start, cohort_filter=checked, grant=granted, tier=tier
    )
    emit(result, as_json, _render_project)


@app.command()
def reject(
    project_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Reason = "",
    as_json: JsonFlag = False,
) -> None:
    """Reject an application (the reasons are published on the register)."""
    emit(projects.reject(settings(), current_actor(), project_id, reason), as_json, _render_project)


@app.command()
def revoke(
    project_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Reason = "",
    as_json: JsonFlag = False,
) -> None:
    """Revoke an approved project and its permit; stop its workspaces, delete its extract."""
    from tre.workspace.enforce import revoke_project

    emit(revoke_project(settings(), current_actor(), project_id, reason), as_json, _render_project)


@app.command("delete-extract")
def delete_extract(
    project_id: Annotated[str, typer.Argument(metavar="ID")],
    as_json: JsonFlag = False,
) -> None:
    """Delete a revoked project's extract (again, if revoking could not finish it)."""
    cfg = settings()
    emit({"extract": _delete_extract(cfg, current_actor(), project_id)}, as_json, _render_deleted)


def _delete_extract(cfg: Any, actor: str, project_id: str) -> dict[str, Any]:
    from tre.extract.service import delete_extract as do_delete

    return do_delete(cfg, actor=actor, project_id=project_id)


def _render_deleted(data: dict[str, Any]) -> None:
    removed = data["extract"]["removed_builds"]
    console.print(_("Extract deleted: {n} build(s).").format(n=len(removed)))


@app.command()
def members(
    project_id: Annotated[str, typer.Argument(metavar="ID")],
    action: Annotated[MemberAction, typer.Argument(help="add, role, handover or remove")],
    username: Annotated[str, typer.Argument(metavar="USER")],
    role: Annotated[
        str, typer.Option("--role", help="analyst or output_checker (for add and role).")
    ] = "analyst",
    as_json: JsonFlag = False,
) -> None:
    """Add a member with a role, change a member's role, hand the lead over to an analyst
    member (the old lead stays as an analyst), or remove a member. Adding someone who is
    already a member is refused: change their role with `role`."""
    cfg, actor = settings(), current_actor()
    if action is MemberAction.add:
        result = projects.add_member(cfg, actor, project_id, username, role)
    elif action is MemberAction.role:
        result = projects.set_role(cfg, actor, project_id, username, role)
    elif action is MemberAction.handover:
        result = projects.hand_over(cfg, actor, project_id, username)
    else:
        result = projects.remove_member(cfg, actor, project_id, username)
        _notify_hub(cfg)
    emit(result, as_json, _render_project)


@app.command("list")
def list_(as_json: JsonFlag = False) -> None:
    """The projects you may see."""

    def render(rows: list[dict[str, Any]]) -> None:
        table = Table("id", "status", "purpose", "title")
        for row in rows:
            table.add_row(row["id"], row["status"], row["purpose"], row["title"])
        console.print(table)

    emit(projects.list_projects(settings(), current_actor()), as_json, render)


@app.command()
def show(
    project_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonFlag = False
) -> None:
    """One project: application, members, decisions, permit."""
    emit(projects.show(settings(), current_actor(), project_id), as_json, _render_project)


@app.command()
def register(as_json: JsonFlag = False) -> None:
    """The public register: every decided application, its data, permit and review."""

    def render(rows: list[dict[str, Any]]) -> None:
        table = Table("id", "title", "organisation", "purpose", "datasets", "decided", "status")
        for row in rows:
            decided = row["decided_at"].date().isoformat() if row["decided_at"] else ""
            table.add_row(
                row["id"],
                row["title"],
                row["organisation"],
                row["purpose"],
                ", ".join(row["datasets"]),
                decided,
                row["status"],
            )
        console.print(table)

    from tre.extract.transparency import public_register

    emit(public_register(settings()), as_json, render)


# Extract commands live beside the other extract code; registered here so that they
# appear as `tre project provision|refresh ID`.
app.command("provision")(provision.provision)
app.command("refresh")(provision.refresh)
