"""Airlock pages: an analyst's requests, the checkers' queue, a request, a file, downloads
(released files and the release's Five Safes RO-Crate).

Buttons for actions a person may not take are shown disabled with the reasons beside them
(from the state table and the policy); the server checks again on every POST. A file's
content (its view, an image, a download) is served only through `views.read_file`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tre import projects
from tre.airlock import service, views
from tre.errors import NotFound, PolicyDenied
from tre.i18n import _
from tre.web import render

router = APIRouter()


def portal(request: Request) -> Any:
    return request.app.state.portal


#: The actions after which the request page says what was done (`?done=`): the action's
#: name only, so a link can neither inject text nor change what the page shows of the
#: request (its state is shown as it is).
DONE = frozenset(
    {"submit", "withdraw", "review", "resolve", "approve", "return", "reject", "remove", "add",
     "comment", "override", "revoke"}
)  # fmt: skip


def _notices() -> dict[str, str]:
    return {
        "submit": _(
            "Submitted. The automated checks have run; output checkers will review the request."
        ),
        "withdraw": _("The request is withdrawn."),
        "review": _("Your review is recorded."),
        "resolve": _("Your vote is changed and the note kept with the file."),
        "approve": _("Approved and released."),
        "return": _("Returned to the author for changes."),
        "reject": _("The request is rejected."),
        "remove": _("The file is removed from the request."),
        "add": _("Files added and checked."),
        "comment": _("Comment sent."),
        "override": _("The override is recorded."),
        "revoke": _("The release is revoked."),
    }


def _back(p: Any, rid: str, done: str | None = None) -> RedirectResponse:
    query = f"?done={done}" if done in DONE else ""
    return RedirectResponse(p.url(f"/requests/{rid}") + query, status_code=303)


def _notice(request: Request) -> str:
    done = request.query_params.get("done", "")
    return _notices().get(done, "")


def _user_and_csrf(request: Request, csrf: str) -> tuple[Any, str]:
    p = portal(request)
    user = p.user(request, required=True)
    p.auth.check_csrf(user, csrf)
    return p, str(user)


@router.get("/requests", response_class=HTMLResponse)
def my_requests(request: Request) -> HTMLResponse:
    p = portal(request)
    user = p.user(request, required=True)
    rows = [r for r in views.list_requests(p.settings, user) if r["author"] == user]
    mine = [pr for pr in projects.list_projects(p.settings, user) if pr.get("status") == "approved"]
    return p.render(request, "requests.html", requests=rows, projects=mine)


@router.post("/requests")
def create_request(
    request: Request, project_id: str = Form(...), title: str = Form(""), csrf: str = Form("")
) -> Response:
    p, user = _user_and_csrf(request, csrf)
    created = service.create(p.settings, user, project_id, title)
    return _back(p, created["id"])


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request) -> HTMLResponse:
    p = portal(request)
    user = p.user(request, required=True)
    rows = [r for r in views.list_requests(p.settings, user, queue=True) if r["author"] != user]
    return p.render(request, "queue.html", requests=rows)


@router.get("/requests/{rid}", response_class=HTMLResponse)
def show_request(request: Request, rid: str) -> HTMLResponse:
    p = portal(request)
    user = p.user(request, required=True)
    detail, perms, reads = views.request_with_permissions(p.settings, user, rid)
    outputs: list[dict[str, Any]] = []
    outputs_error = ""
    if not perms["edit"]:
        try:
            outputs = views.list_outputs(p.settings, user, detail["project_id"])
        except PolicyDenied as exc:
            outputs_error = "; ".join(exc.reasons)
    staff = bool({"output_checker", "admin"} & set(p.roles(user))) and user != detail["author"]
    earlier = views.earlier_releases(p.settings, user, rid) if staff else []
    return p.render(
        request,
        "request.html",
        r=detail,
        perms=perms,
        reads=reads,
        outputs=outputs,
        outputs_error=outputs_error,
        earlier=earlier,
        staff=staff,
        quote=quote,
        notice=_notice(request),
    )


@router.post("/requests/{rid}/files")
def add_files(
    request: Request,
    rid: str,
    paths: list[str] = Form(default=[]),
    group: str = Form(service.DEFAULT_GROUP),
    csrf: str = Form(""),
) -> Response:
    p, user = _user_and_csrf(request, csrf)
    if paths:
        service.add_files(p.settings, user, rid, paths, group)
        return _back(p, rid, "add")
    return _back(p, rid)


@router.post("/requests/{rid}/group")
def set_group(
    request: Request,
    rid: str,
    name: str = Form(service.DEFAULT_GROUP),
    context: str = Form(""),
    controls: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.set_group(p.settings, user, rid, name, context, controls)
    return _back(p, rid)


@router.post("/requests/{rid}/submit")
def submit(request: Request, rid: str, csrf: str = Form("")) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.submit(p.settings, user, rid)
    return _back(p, rid, "submit")


@router.post("/requests/{rid}/withdraw")
def withdraw(request: Request, rid: str, csrf: str = Form("")) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.withdraw(p.settings, user, rid)
    return _back(p, rid, "withdraw")


@router.post("/requests/{rid}/review")
async def review(request: Request, rid: str) -> Response:
    form = await request.form()
    p, user = _user_and_csrf(request, str(form.get("csrf", "")))
    votes = {
        str(k)[len("vote:") :]: str(v) for k, v in form.multi_items() if str(k).startswith("vote:")
    }
    await run_in_threadpool(
        service.review,
        p.settings,
        user,
        rid,
        votes,
        str(form.get("comment", "")),
        str(form.get("private_comment", "")),
    )
    return _back(p, rid, "review")


@router.post("/requests/{rid}/decide")
def decide(
    request: Request,
    rid: str,
    decision: str = Form(...),
    comment: str = Form(""),
    private_comment: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.decide(p.settings, user, rid, decision, comment, private_comment)
    return _back(p, rid, decision)


@router.post("/requests/{rid}/override")
def override(request: Request, rid: str, reason: str = Form(""), csrf: str = Form("")) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.override(p.settings, user, rid, reason)
    return _back(p, rid, "override")


@router.post("/requests/{rid}/revoke")
def revoke(request: Request, rid: str, reason: str = Form(""), csrf: str = Form("")) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.revoke(p.settings, user, rid, reason)
    return _back(p, rid, "revoke")


@router.post("/requests/{rid}/remove")
def remove_file(request: Request, rid: str, path: str = Form(""), csrf: str = Form("")) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.remove_file(p.settings, user, rid, path)
    return _back(p, rid, "remove")


@router.post("/requests/{rid}/comment")
def comment(
    request: Request,
    rid: str,
    body: str = Form(""),
    path: str = Form(""),
    private: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.comment(p.settings, user, rid, body, path or None, private == "1")
    return _back(p, rid, "comment")


@router.post("/requests/{rid}/resolve")
def resolve(
    request: Request,
    rid: str,
    path: str = Form(""),
    vote: str = Form(""),
    note: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.resolve(p.settings, user, rid, path, vote, note)
    return _back(p, rid, "resolve")


def _earlier_round(
    settings: Any, user: str, rid: str, content: views.FileContent, now: render.TableView
) -> list[render.Comparison]:
    """The file as submitted in the round the current one is compared with, when it was
    replaced since: what changed between the rounds, cell by cell."""
    path = content.summary["path"]
    base = int(content.summary.get("compared_round") or 0)
    if base < 1:
        return []
    try:
        earlier = views.read_version(settings, user, rid, path, base)
    except NotFound:
        return []  # new in this round
    if earlier.sha256 == content.sha256:
        return []
    table = render.read_table(earlier.location, earlier.summary["detected_type"])
    if table is None:
        return []
    release = {"request_id": rid, "path": path, "round": base}
    return [render.compare(now, table, release)]


@router.get("/requests/{rid}/view/{path:path}", response_class=HTMLResponse)
def view_file(request: Request, rid: str, path: str) -> HTMLResponse:
    p = portal(request)
    user = p.user(request, required=True)
    content = views.read_file(p.settings, user, rid, path)
    f = content.summary
    findings = f["findings"]
    table = source = summary = tabulation = None
    compared: list[render.Comparison] = []
    full = None
    threshold = 0
    if f["detected_type"] in ("csv", "tsv", "parquet"):
        table = render.read_table(content.location, f["detected_type"])
        if table is not None:
            render.mark_findings(table, findings)
            made = views.tabulation(p.settings, content)
            if made and made["kind"] == "crosstab":
                render.contributors(table, made["parameters"], made["contributors"])
                tabulation = made["parameters"]
            full = table
            compared = [
                render.compare(full, earlier, found.summary)
                for found in views.comparable_releases(
                    p.settings, user, rid, path, list(full.columns)
                )
                if (earlier := render.read_table(found.location, found.summary["detected_type"]))
            ]
            compared += _earlier_round(p.settings, user, rid, content, full)
            threshold = views.disclosure_threshold(p.settings, rid)
            summary = render.summarise(table, threshold)
            hidden = {c for c in request.query_params.getlist("hide") if c in table.columns}
            table = table.narrowed(hidden, request.query_params.get("flagged") == "1")
    elif f["detected_type"] not in render.INLINE_IMAGES:
        source = render.read_source(content.location)
    return p.render(
        request, "file.html", rid=rid, f=f, findings=findings, table=table, source=source,
        image=f["detected_type"] in render.INLINE_IMAGES, quote=quote,
        flagged_only=request.query_params.get("flagged") == "1", summary=summary,
        threshold=threshold, tabulation=tabulation, compared=compared, full=full,
    )  # fmt: skip


@router.get("/requests/{rid}/raw/{path:path}")
def raw_image(request: Request, rid: str, path: str) -> Response:
    """PNG/JPEG only, for <img>; anything else is never served inline."""
    p = portal(request)
    user = p.user(request, required=True)
    content = views.read_file(p.settings, user, rid, path)
    media = render.INLINE_IMAGES.get(content.summary["detected_type"])
    if media is None:
        raise NotFound(_("Only PNG and JPEG images are shown inline."))
    return FileResponse(
        content.location,
        media_type=media,
        headers={"Content-Security-Policy": "default-src 'none'; sandbox"},
    )


@router.get("/crates/{rid}")
def download_crate(request: Request, rid: str) -> Response:
    """The release's Five Safes RO-Crate: a BagIt ZIP holding the released files."""
    p = portal(request)
    user = p.user(request, required=True)
    found, info = views.download_crate(p.settings, str(user), rid)
    return FileResponse(
        found,
        media_type="application/zip",
        filename=str(info["name"]),
        headers={
            "X-Content-SHA256": str(info["sha256"]),
            "Link": '<https://w3id.org/ro/crate>; rel="profile"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.get("/releases/{rid}/{path:path}")
def download(request: Request, rid: str, path: str) -> Response:
    p = portal(request)
    user = p.user(request, required=True)
    content = views.read_file(p.settings, str(user), rid, path, released_only=True)
    return FileResponse(
        content.location,
        media_type="application/octet-stream",
        filename=path.rsplit("/", 1)[-1],
        headers={
            "X-Content-SHA256": content.sha256,
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
