"""`tre airlock` commands: thin over tre.airlock.service and tre.airlock.views."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from tre.airlock import service, views
from tre.cli.common import JsonFlag, console, emit, err_console, settings
from tre.cli.identity import current_actor
from tre.errors import InputError
from tre.i18n import _

app = typer.Typer(no_args_is_help=True)

RequestId = Annotated[str, typer.Argument(help="Request id, e.g. r-1.")]
Comment = Annotated[str, typer.Option("--comment", help="Comment the author sees.")]
Private = Annotated[
    str, typer.Option("--private-comment", help="Comment only checkers and admins see.")
]
Reason = Annotated[str, typer.Option("--reason", help="Why; recorded in the audit log.")]


def _render_summary(data: dict[str, Any]) -> None:
    console.print(f"[bold]{data['id']}[/bold] {data['status']}")


def _render_list(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print(_("No release requests."))
    for r in rows:
        console.print(
            f"{r['id']}\t{r['project_id']}\t{r['status']}\t{r['author']}\t"
            f"{r['files']} {_('files')}\t{r['title']}"
        )


def _render_detail(d: dict[str, Any]) -> None:
    console.print(f"[bold]{d['id']}[/bold] {d['title']} ({d['status']}, {_('round')} {d['round']})")
    console.print(f"  {_('project')}: {d['project_id']}  {_('author')}: {d['author']}")
    for g in d["groups"]:
        console.print(f"  [bold]{g['name']}[/bold] {_('context')}: {g['context'] or '-'}")
        console.print(f"    {_('controls')}: {g['controls'] or '-'}")
        for f in g["files"]:
            console.print(f"    {f['path']}  {f['verdict']}  {f['sha256'][:12]}  {f['size']} B")
            for finding in f["findings"]:
                console.print(
                    f"      [{finding['severity']}] {finding['rule']}: {finding['message']}"
                )
    for v in d["votes"]:
        console.print(f"  {_('vote')} {v['reviewer']} {v['path']}: {v['vote']}")
    for c in d["comments"]:
        console.print(f"  {_('comment')} ({c['visibility']}) {c['author']}: {c['body']}")


def _with_progress(work: Callable[[Callable[[str], None] | None], Any], n: int, quiet: bool) -> Any:
    """Run `work(tick)` with a progress bar over `n` files, unless output is JSON."""
    if quiet or n == 0:
        return work(None)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(_("Copying and checking files"), total=n)
        return work(lambda _path: bar.advance(task))


@app.command()
def submit(
    files: Annotated[list[str] | None, typer.Argument(help="Paths under outputs/.")] = None,
    project: Annotated[
        str | None, typer.Option("--project", help="Project id (new request).")
    ] = None,
    request: Annotated[
        str | None, typer.Option("--request", help="Existing request to (re)submit.")
    ] = None,
    title: Annotated[str, typer.Option("--title", help="What the request releases.")] = "",
    group: Annotated[str, typer.Option("--group", help="File group name.")] = service.DEFAULT_GROUP,
    context: Annotated[str | None, typer.Option("--context", help="What the files show.")] = None,
    controls: Annotated[
        str | None, typer.Option("--controls", help="Disclosure controls applied.")
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Add files but do not submit yet.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Copy files from outputs/ into a request, run the checks, and submit it for review."""
    s, actor = settings(), current_actor()
    if (project is None) == (request is None):
        raise InputError(_("Give either --project (a new request) or --request (an existing one)."))
    if request is None:  # one transaction: a refused file leaves no draft behind
        rid = _with_progress(
            lambda tick: service.create(
                s, actor, str(project), title or _("Release request"), list(files or []),
                group, context, controls, tick,
            )["id"],
            len(files or []), as_json,
        )  # fmt: skip
    else:
        rid = request
        if files:
            _with_progress(
                lambda tick: service.add_files(s, actor, rid, list(files), group, tick),
                len(files), as_json,
            )  # fmt: skip
        if context is not None or controls is not None:
            service.set_group(s, actor, rid, group, context, controls)
    result = views.show(s, actor, rid) if draft else service.submit(s, actor, rid)
    emit(result if draft else {**views.show(s, actor, rid), **result}, as_json, _render_detail)


@app.command("list")
def list_(
    project: Annotated[str | None, typer.Option("--project", help="Only this project.")] = None,
    queue: Annotated[bool, typer.Option("--queue", help="Only those awaiting review.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Release requests you may see."""
    emit(views.list_requests(settings(), current_actor(), project, queue), as_json, _render_list)


@app.command()
def show(request_id: RequestId, as_json: JsonFlag = False) -> None:
    """A request: groups, files, findings, votes (blind until all are in) and comments."""
    emit(views.show(settings(), current_actor(), request_id), as_json, _render_detail)


@app.command()
def review(
    request_id: RequestId,
    approve: Annotated[
        list[str] | None, typer.Option("--approve", help="Approve this file.")
    ] = None,
    changes: Annotated[
        list[str] | None, typer.Option("--changes", help="Request changes to this file.")
    ] = None,
    approve_all: Annotated[bool, typer.Option("--approve-all", help="Approve every file.")] = False,
    comment: Comment = "",
    private_comment: Private = "",
    as_json: JsonFlag = False,
) -> None:
    """Vote on every file of a request (approve or changes requested)."""
    s, actor = settings(), current_actor()
    votes = dict.fromkeys(approve or [], "approve") | dict.fromkeys(
        changes or [], "changes_requested"
    )
    if approve_all:
        detail = views.show(s, actor, request_id)
        for g in detail["groups"]:
            for f in g["files"]:
                # Once reviews disagree, a further review is on the files in conflict only.
                if (
                    detail["status"] != "conflicted"
                    or (f["review"] or {}).get("outcome") == "conflicted"
                ):
                    votes.setdefault(f["path"], "approve")
    result = service.review(s, actor, request_id, votes, comment, private_comment)
    emit(result, as_json, _render_summary)


@app.command()
def decide(
    request_id: RequestId,
    decision: Annotated[str, typer.Argument(help="approve, return or reject.")],
    comment: Comment = "",
    private_comment: Private = "",
    as_json: JsonFlag = False,
) -> None:
    """Approve (and release), return for changes, or reject a reviewed request."""
    result = service.decide(
        settings(), current_actor(), request_id, decision, comment, private_comment
    )
    emit(result, as_json, _render_summary)


@app.command()
def release(request_id: RequestId, as_json: JsonFlag = False) -> None:
    """Publish an approved request whose release did not complete (safe to repeat)."""
    emit(service.release_now(settings(), current_actor(), request_id), as_json, _render_summary)


@app.command()
def withdraw(request_id: RequestId, as_json: JsonFlag = False) -> None:
    """Withdraw your own request before it is decided."""
    emit(service.withdraw(settings(), current_actor(), request_id), as_json, _render_summary)


@app.command()
def revoke(request_id: RequestId, reason: Reason = "", as_json: JsonFlag = False) -> None:
    """Revoke a release: downloads stop; the register marks it revoked."""
    emit(service.revoke(settings(), current_actor(), request_id, reason), as_json, _render_summary)


@app.command()
def override(request_id: RequestId, reason: Reason = "", as_json: JsonFlag = False) -> None:
    """(Admins) allow approval despite a blocking finding; the reason is audited."""
    result = service.override(settings(), current_actor(), request_id, reason)
    emit(result, as_json, lambda d: console.print(f"{d['id']}: {_('override recorded')}"))


@app.command()
def download(
    request_id: RequestId,
    path: Annotated[str, typer.Argument(help="File path within the release.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write to.")] = Path("."),
    as_json: JsonFlag = False,
) -> None:
    """Download one released file (members of the project only)."""
    content = views.read_file(settings(), current_actor(), request_id, path, released_only=True)
    out.mkdir(parents=True, exist_ok=True)
    target = out / Path(path).name
    tmp = target.with_name(f".{target.name}.part")
    shutil.copyfile(content.location, tmp)
    tmp.replace(target)
    emit(
        {"path": str(target), "sha256": content.sha256},
        as_json,
        lambda d: console.print(d["path"]),
    )


@app.command()
def crate(
    request_id: RequestId,
    out: Annotated[Path, typer.Option("--out", help="Directory to write to.")] = Path("."),
    as_json: JsonFlag = False,
) -> None:
    """Download a release's Five Safes RO-Crate: a BagIt ZIP of the released files with the
    record of their checks and reviews (members of the project only)."""
    source, info = views.download_crate(settings(), current_actor(), request_id)
    out.mkdir(parents=True, exist_ok=True)
    target = out / str(info["name"])
    tmp = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    emit(
        {"path": str(target), "sha256": info["sha256"]}, as_json, lambda d: console.print(d["path"])
    )
