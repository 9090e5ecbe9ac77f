"""Admins: projects and applications, their permits, and whether each is provisioned."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tre import projects
from tre.errors import PolicyDenied
from tre.i18n import _

router = APIRouter()


def _provisioned(settings: Any, project_id: str) -> bool:
    current = settings.extracts_path / project_id / "current"
    return current.is_symlink() and current.resolve().is_dir()


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request) -> HTMLResponse:
    p = request.app.state.portal
    user = p.user(request, required=True)
    if "admin" not in p.roles(user):
        raise PolicyDenied("admin.view", [_("only admins may see the administration pages")])
    rows = []
    for item in projects.list_projects(p.settings, user):
        full = projects.show(p.settings, user, item["id"])
        full["provisioned"] = _provisioned(p.settings, item["id"])
        rows.append(full)
    applications = [r for r in rows if r["status"] == "submitted"]
    return p.render(request, "admin.html", projects=rows, applications=applications)
