"""Airlock pages: an analyst's requests, the checkers' queue, a request, a file, downloads
(released files and the release's Five Safes RO-Crate).

Buttons for actions a person may not take are shown disabled with the reasons beside them
(from the state table and the policy); the server checks again on every POST.
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


def _back(p: Any, rid: str) -> RedirectResponse:
    return RedirectResponse(p.url(f"/requests/{rid}"), status_code=303)


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
    detail, perms = views.request_with_permissions(p.settings, user, rid)
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
        outputs=outputs,
        outputs_error=outputs_error,
        earlier=earlier,
        staff=staff,
        quote=quote,
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
    return _back(p, rid)


@router.post("/requests/{rid}/withdraw")
def withdraw(request: Request, rid: str, csrf: str = Form("")) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.withdraw(p.settings, user, rid)
    return _back(p, rid)


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
    return _back(p, rid)


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
    return _back(p, rid)


@router.post("/requests/{rid}/override")
def override(request: Request, rid: str, reason: str = Form(""), csrf: str = Form("")) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.override(p.settings, user, rid, reason)
    return _back(p, rid)


@router.post("/requests/{rid}/revoke")
def revoke(request: Request, rid: str, reason: str = Form(""), csrf: str = Form("")) -> Response:
    p, user = _user_and_csrf(request, csrf)
    service.revoke(p.settings, user, rid, reason)
    return _back(p, rid)


@router.get("/requests/{rid}/view/{path:path}", response_class=HTMLResponse)
def view_file(request: Request, rid: str, path: str) -> HTMLResponse:
    p = portal(request)
    user = p.user(request, required=True)
    f = views.file_for_view(p.settings, user, rid, path)
    findings = f["findings"]
    table = source = None
    if f["detected_type"] in ("csv", "tsv", "parquet"):
        table = render.read_table(f["store_path"], f["detected_type"])
        if table is not None:
            render.mark_findings(table, findings)
    elif f["detected_type"] not in render.INLINE_IMAGES:
        source = render.read_source(f["store_path"])
    return p.render(
        request, "file.html", rid=rid, f=f, findings=findings, table=table, source=source,
        image=f["detected_type"] in render.INLINE_IMAGES, quote=quote,
    )  # fmt: skip


@router.get("/requests/{rid}/raw/{path:path}")
def raw_image(request: Request, rid: str, path: str) -> Response:
    """PNG/JPEG only, for <img>; anything else is never served inline."""
    p = portal(request)
    user = p.user(request, required=True)
    f = views.file_for_view(p.settings, user, rid, path)
    media = render.INLINE_IMAGES.get(f["detected_type"])
    if media is None:
        raise NotFound(_("Only PNG and JPEG images are shown inline."))
    return FileResponse(
        f["store_path"],
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
    found, digest = views.download(p.settings, str(user), rid, path)
    return FileResponse(
        found,
        media_type="application/octet-stream",
        filename=path.rsplit("/", 1)[-1],
        headers={
            "X-Content-SHA256": digest,
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
